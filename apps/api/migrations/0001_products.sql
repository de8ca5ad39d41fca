-- Products of the catalogue. `seq` orders keyset pagination (insertion order, never reused);
-- `id` is the public identifier; `version` drives ETag / If-Match optimistic concurrency.
create table products (
  id          uuid primary key default gen_random_uuid(),
  seq         bigint generated always as identity unique,
  sku         text not null,
  name        text not null,
  description text,
  price_cents bigint not null check (price_cents >= 0),
  currency    char(3) not null check (currency ~ '^[A-Z]{3}$'),
  category    text not null,
  image_key   text,
  version     integer not null default 1,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  constraint products_sku_key unique (sku)
);

-- list by category in seq order: keyset pagination without a sort
create index products_category_seq_idx on products (category, seq);
