// Erasure: audit rows rewritten with erased keys replaced (`ChangeSet.redact_audit`).
UNWIND $rows AS row
MATCH (e:Audit)
USING INDEX SEEK e:Audit(seq)
WHERE e.seq = row.seq
SET e.subject = row.subject, e.detail = row.detail
