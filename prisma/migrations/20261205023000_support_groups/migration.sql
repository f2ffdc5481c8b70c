-- CreateTable
CREATE TABLE "SupportGroup" (
    "id" SERIAL NOT NULL,
    "slug" TEXT NOT NULL,
    "name" JSONB NOT NULL,
    "description" JSONB NOT NULL,
    "meets" JSONB NOT NULL,
    "needs" TEXT[],
    "locale" TEXT NOT NULL,
    "capacity" INTEGER NOT NULL,
    "facilitatorId" INTEGER NOT NULL,
    "isOpen" BOOLEAN NOT NULL DEFAULT true,
    "status" TEXT NOT NULL DEFAULT 'active',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SupportGroup_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupMembership" (
    "id" SERIAL NOT NULL,
    "groupId" INTEGER NOT NULL,
    "residentId" TEXT NOT NULL,
    "status" TEXT NOT NULL,
    "handle" TEXT NOT NULL,
    "joinedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "GroupMembership_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "GroupOffer" (
    "groupId" INTEGER NOT NULL,
    "residentId" TEXT NOT NULL,
    "offeredAt" TIMESTAMP(3) NOT NULL,
    "declinedAt" TIMESTAMP(3),

    CONSTRAINT "GroupOffer_pkey" PRIMARY KEY ("groupId","residentId")
);

-- CreateIndex
CREATE UNIQUE INDEX "SupportGroup_slug_key" ON "SupportGroup"("slug");

-- CreateIndex
CREATE INDEX "GroupMembership_residentId_idx" ON "GroupMembership"("residentId");

-- CreateIndex
CREATE UNIQUE INDEX "GroupMembership_groupId_residentId_key" ON "GroupMembership"("groupId", "residentId");

-- CreateIndex
CREATE INDEX "GroupOffer_residentId_idx" ON "GroupOffer"("residentId");
