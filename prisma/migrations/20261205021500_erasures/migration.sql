-- CreateTable
CREATE TABLE "Erasure" (
    "pseudonym" TEXT NOT NULL,
    "erasedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Erasure_pkey" PRIMARY KEY ("pseudonym")
);
