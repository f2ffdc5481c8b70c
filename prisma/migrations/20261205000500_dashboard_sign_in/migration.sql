-- CreateTable
CREATE TABLE "DashboardLink" (
    "id" SERIAL NOT NULL,
    "tokenHash" TEXT NOT NULL,
    "workerId" INTEGER NOT NULL,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "usedAt" TIMESTAMP(3),

    CONSTRAINT "DashboardLink_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "DashboardSession" (
    "id" SERIAL NOT NULL,
    "idHash" TEXT NOT NULL,
    "workerId" INTEGER NOT NULL,
    "csrfToken" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "expiresAt" TIMESTAMP(3) NOT NULL,
    "endedAt" TIMESTAMP(3),

    CONSTRAINT "DashboardSession_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "DashboardLink_tokenHash_key" ON "DashboardLink"("tokenHash");

-- CreateIndex
CREATE UNIQUE INDEX "DashboardSession_idHash_key" ON "DashboardSession"("idHash");

-- CreateIndex
CREATE INDEX "DashboardSession_workerId_idx" ON "DashboardSession"("workerId");
