// The audit trail: who did what to which subject; `seq` as for refused merges.
UNWIND $rows AS row
CREATE (:Audit {at: row.at, actor: row.actor, action: row.action, subject: row.subject,
                detail: row.detail, seq: row.seq})
