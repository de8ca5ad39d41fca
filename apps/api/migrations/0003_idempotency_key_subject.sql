-- Idempotency keys belong to a caller (issue 16): the key is scoped to the access token's subject, so one
-- caller can never replay (or block) another caller's response by guessing or reusing its key.
-- Rows stored before authentication existed get the empty subject, which no token can have.
alter table idempotency_keys add column subject text not null default '';
alter table idempotency_keys alter column subject drop default;
alter table idempotency_keys drop constraint idempotency_keys_pkey;
alter table idempotency_keys add primary key (subject, key);
