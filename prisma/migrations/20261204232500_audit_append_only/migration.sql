-- The audit log is append-only once sealed: an entry with its place in the chain can be neither changed nor
-- removed, and an entry not yet sealed can only be sealed (given its place and hash, nothing else).
-- Someone who can drop this trigger can edit the table; `admin audit verify` then finds what they changed.
CREATE FUNCTION "audit_entry_append_only"() RETURNS trigger AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    IF OLD."chainSeq" IS NOT NULL THEN
      RAISE EXCEPTION 'audit entry % is sealed: entries are never removed', OLD.id;
    END IF;
    RETURN OLD;
  END IF;
  IF OLD."chainSeq" IS NOT NULL THEN
    RAISE EXCEPTION 'audit entry % is sealed: entries are never changed', OLD.id;
  END IF;
  IF NEW."caseId" IS DISTINCT FROM OLD."caseId" OR NEW.type IS DISTINCT FROM OLD.type
     OR NEW.actor IS DISTINCT FROM OLD.actor OR NEW.detail IS DISTINCT FROM OLD.detail
     OR NEW."createdAt" IS DISTINCT FROM OLD."createdAt" THEN
    RAISE EXCEPTION 'audit entry % can only be sealed, not changed', OLD.id;
  END IF;
  RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER "CaseEvent_append_only"
BEFORE UPDATE OR DELETE ON "CaseEvent"
FOR EACH ROW EXECUTE FUNCTION "audit_entry_append_only"();
