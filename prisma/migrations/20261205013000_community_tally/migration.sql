-- CreateTable
CREATE TABLE "CommunityTally" (
    "id" SERIAL NOT NULL,
    "day" DATE NOT NULL,
    "scriptId" TEXT NOT NULL,
    "level" TEXT NOT NULL,
    "bands" JSONB NOT NULL,
    "themes" TEXT[],
    "area" TEXT,

    CONSTRAINT "CommunityTally_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "CommunityTally_day_idx" ON "CommunityTally"("day");
