-- Where a rollback goes: the version each one replaced when it was first published.
ALTER TABLE "ScriptVersion" ADD COLUMN "replacedVersion" INTEGER;
