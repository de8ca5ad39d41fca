-- Responses of POSTs sent with an Idempotency-Key: a retried request replays the stored answer
-- instead of creating a second row. Kept in Postgres so a retry after a pod restart is still honoured.
create table idempotency_keys (
  key          text primary key,
  request_hash text not null,
  status_code  integer not null,
  body         jsonb not null,
  location     text,
  created_at   timestamptz not null default now()
);

create index idempotency_keys_created_at_idx on idempotency_keys (created_at);
