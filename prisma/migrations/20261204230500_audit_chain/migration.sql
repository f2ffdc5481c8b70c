-- The audit log holds admin actions too (no case), and is hash-chained.
ALTER TABLE "CaseEvent" DROP CONSTRAINT "CaseEvent_caseId_fkey";
ALTER TABLE "CaseEvent" ALTER COLUMN "caseId" DROP NOT NULL;
ALTER TABLE "CaseEvent" ADD COLUMN "chainSeq" INTEGER;
ALTER TABLE "CaseEvent" ADD COLUMN "hash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "CaseEvent_chainSeq_key" ON "CaseEvent"("chainSeq");
CREATE INDEX "CaseEvent_actor_createdAt_idx" ON "CaseEvent"("actor", "createdAt");
CREATE INDEX "CaseEvent_type_createdAt_idx" ON "CaseEvent"("type", "createdAt");

-- AddForeignKey: an audit entry outlives nothing it describes, so a case with entries cannot be deleted.
ALTER TABLE "CaseEvent" ADD CONSTRAINT "CaseEvent_caseId_fkey" FOREIGN KEY ("caseId") REFERENCES "Case"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
