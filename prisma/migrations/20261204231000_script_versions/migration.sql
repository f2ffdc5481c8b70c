-- Script versions have a life: draft -> published -> retired. Every version stored so far was published;
-- only the newest of each script stays published.
ALTER TABLE "ScriptVersion" ADD COLUMN "status" TEXT NOT NULL DEFAULT 'published';
ALTER TABLE "ScriptVersion" ADD COLUMN "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP;
ALTER TABLE "ScriptVersion" ALTER COLUMN "publishedAt" DROP NOT NULL;
ALTER TABLE "ScriptVersion" ALTER COLUMN "publishedAt" DROP DEFAULT;
UPDATE "ScriptVersion" v SET "status" = 'retired'
WHERE v."version" < (SELECT max(w."version") FROM "ScriptVersion" w WHERE w."scriptId" = v."scriptId");
