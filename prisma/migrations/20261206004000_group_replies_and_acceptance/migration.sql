-- AlterTable
ALTER TABLE "GroupOffer" ADD COLUMN     "acceptedAt" TIMESTAMP(3),
ADD COLUMN     "referredAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "groupId" INTEGER,
ADD COLUMN     "groupMembershipId" INTEGER;

-- CreateIndex
CREATE INDEX "OutboxMessage_groupMembershipId_idx" ON "OutboxMessage"("groupMembershipId");
