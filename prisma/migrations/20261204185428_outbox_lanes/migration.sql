-- AlterTable
ALTER TABLE "OutboxMessage" ADD COLUMN     "lane" TEXT,
ADD COLUMN     "leaseOwner" TEXT,
ADD COLUMN     "priority" INTEGER NOT NULL DEFAULT 3;

-- CreateIndex
CREATE INDEX "OutboxMessage_lane_status_id_idx" ON "OutboxMessage"("lane", "status", "id");
