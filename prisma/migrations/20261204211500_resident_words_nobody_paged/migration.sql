-- AlterTable
ALTER TABLE "Case" ADD COLUMN     "nobodyPagedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "CaseMessage" ADD COLUMN     "purpose" TEXT NOT NULL DEFAULT 'relay';
