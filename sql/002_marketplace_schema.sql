-- description: Marketplace schema (seed plan, Phase 2): users, providers, service listings,
--   transactions, invoices, message threads and messages with their FKs, checks and indexes.
-- transactional: true
--
-- Same tables, columns, constraints and indexes as the seed's Phase 2. Corrected only so that it
-- runs under a runner and twice: no BEGIN/COMMIT, CREATE TABLE/INDEX ... IF NOT EXISTS.
-- Design problems the seed carries (see SEED_AUDIT.md) are fixed in the optional plan 003.


-- Create marketplace schema (logical separation from tenant data)
CREATE SCHEMA IF NOT EXISTS marketplace;

-- ============================================================================
-- TABLE: marketplace.users (Marketplace Accounts)
-- ============================================================================

CREATE TABLE IF NOT EXISTS marketplace.users (
  id SERIAL PRIMARY KEY,

  -- Authentication
  email VARCHAR(255) UNIQUE NOT NULL,
  email_verified BOOLEAN DEFAULT FALSE,
  password_hash VARCHAR(255) NOT NULL,

  -- Profile
  first_name VARCHAR(100),
  last_name VARCHAR(100),
  phone VARCHAR(50),

  -- User type
  user_type VARCHAR(50) DEFAULT 'buyer' CHECK (user_type IN ('buyer', 'breeder', 'service_provider')),

  -- Link to tenant (if breeder)
  tenant_id INTEGER,
  tenant_verified BOOLEAN DEFAULT FALSE,

  -- Stripe
  stripe_customer_id VARCHAR(255) UNIQUE,

  -- Status
  status VARCHAR(50) DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'banned')),

  -- Timestamps
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_marketplace_users_email ON marketplace.users(email);
CREATE INDEX IF NOT EXISTS idx_marketplace_users_tenant ON marketplace.users(tenant_id) WHERE tenant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_marketplace_users_stripe ON marketplace.users(stripe_customer_id) WHERE stripe_customer_id IS NOT NULL;

-- ============================================================================
-- TABLE: marketplace.providers (Service Provider Profiles)
-- ============================================================================

CREATE TABLE IF NOT EXISTS marketplace.providers (
  id SERIAL PRIMARY KEY,
  user_id INTEGER NOT NULL REFERENCES marketplace.users(id) ON DELETE CASCADE,

  -- Provider type
  provider_type VARCHAR(50) NOT NULL CHECK (provider_type IN ('breeder', 'service_provider')),

  -- Tenant link (if breeder)
  tenant_id INTEGER,

  -- Business info
  business_name VARCHAR(255) NOT NULL,
  business_description TEXT,
  city VARCHAR(100),
  state VARCHAR(100),

  -- Stripe Connect
  stripe_connect_account_id VARCHAR(255) UNIQUE,
  stripe_connect_onboarding_complete BOOLEAN DEFAULT FALSE,
  stripe_connect_payouts_enabled BOOLEAN DEFAULT FALSE,

  -- Payment mode
  payment_mode VARCHAR(50) DEFAULT 'manual' CHECK (payment_mode IN ('stripe', 'manual', 'direct')),
  payment_instructions TEXT,

  -- Stats
  total_listings INTEGER DEFAULT 0,
  total_transactions INTEGER DEFAULT 0,
  total_revenue_cents BIGINT DEFAULT 0,
  average_rating DECIMAL(3,2) DEFAULT 0.00,

  -- Status
  status VARCHAR(50) DEFAULT 'active' CHECK (status IN ('active', 'paused', 'suspended')),

  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW(),

  UNIQUE(user_id)
);

CREATE INDEX IF NOT EXISTS idx_marketplace_providers_user ON marketplace.providers(user_id);
CREATE INDEX IF NOT EXISTS idx_marketplace_providers_tenant ON marketplace.providers(tenant_id) WHERE tenant_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_marketplace_providers_stripe ON marketplace.providers(stripe_connect_account_id) WHERE stripe_connect_account_id IS NOT NULL;

-- ============================================================================
-- TABLE: marketplace.service_listings (Service Listings)
-- ============================================================================

CREATE TABLE IF NOT EXISTS marketplace.service_listings (
  id SERIAL PRIMARY KEY,
  provider_id INTEGER NOT NULL REFERENCES marketplace.providers(id) ON DELETE CASCADE,

  -- Basic info
  slug VARCHAR(255) UNIQUE NOT NULL,
  title VARCHAR(255) NOT NULL,
  description TEXT,
  category VARCHAR(100) NOT NULL,

  -- Pricing
  price_cents BIGINT,
  price_type VARCHAR(50) CHECK (price_type IN ('fixed', 'starting_at', 'hourly', 'daily', 'contact')),

  -- Location
  city VARCHAR(100),
  state VARCHAR(100),

  -- Status
  status VARCHAR(50) DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'paused')),

  published_at TIMESTAMP,
  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_marketplace_listings_provider ON marketplace.service_listings(provider_id);
CREATE INDEX IF NOT EXISTS idx_marketplace_listings_category ON marketplace.service_listings(category, status) WHERE status = 'active';
CREATE INDEX IF NOT EXISTS idx_marketplace_listings_location ON marketplace.service_listings(state, city, status) WHERE status = 'active';

-- ============================================================================
-- TABLE: marketplace.transactions (Marketplace Transactions)
-- ============================================================================

CREATE TABLE IF NOT EXISTS marketplace.transactions (
  id BIGSERIAL PRIMARY KEY,

  -- Parties
  client_id INTEGER NOT NULL REFERENCES marketplace.users(id) ON DELETE RESTRICT,
  provider_id INTEGER NOT NULL REFERENCES marketplace.providers(id) ON DELETE RESTRICT,

  -- Listing
  listing_id INTEGER REFERENCES marketplace.service_listings(id) ON DELETE SET NULL,
  service_description TEXT NOT NULL,

  -- Invoice reference (SINGLE invoice approach)
  invoice_type VARCHAR(20) NOT NULL CHECK (invoice_type IN ('tenant', 'marketplace')),
  tenant_id INTEGER, -- NULL if invoice_type = 'marketplace'
  invoice_id INTEGER NOT NULL, -- ID in tenant Invoice OR marketplace.invoices

  -- Amounts
  total_cents BIGINT NOT NULL,
  platform_fee_cents BIGINT DEFAULT 0,
  provider_payout_cents BIGINT,

  -- Status
  status VARCHAR(50) DEFAULT 'pending_invoice' CHECK (status IN (
    'pending_invoice', 'invoiced', 'paid', 'completed', 'cancelled', 'refunded', 'disputed'
  )),

  -- Timestamps
  created_at TIMESTAMP DEFAULT NOW(),
  invoiced_at TIMESTAMP,
  paid_at TIMESTAMP,
  completed_at TIMESTAMP
);

CREATE INDEX IF NOT EXISTS idx_marketplace_transactions_client ON marketplace.transactions(client_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_marketplace_transactions_provider ON marketplace.transactions(provider_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_marketplace_transactions_listing ON marketplace.transactions(listing_id) WHERE listing_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS idx_marketplace_transactions_invoice ON marketplace.transactions(invoice_type, tenant_id, invoice_id);

-- ============================================================================
-- TABLE: marketplace.invoices (Service Provider Invoices Only)
-- ============================================================================

CREATE TABLE IF NOT EXISTS marketplace.invoices (
  id SERIAL PRIMARY KEY,

  transaction_id BIGINT NOT NULL REFERENCES marketplace.transactions(id) ON DELETE RESTRICT,
  provider_id INTEGER NOT NULL REFERENCES marketplace.providers(id) ON DELETE RESTRICT,
  client_id INTEGER NOT NULL REFERENCES marketplace.users(id) ON DELETE RESTRICT,

  invoice_number VARCHAR(50) UNIQUE NOT NULL,
  total_cents BIGINT NOT NULL,
  balance_cents BIGINT NOT NULL,
  refunded_cents BIGINT DEFAULT 0,

  -- Status
  status VARCHAR(50) DEFAULT 'draft' CHECK (status IN (
    'draft', 'sent', 'pending_confirmation', 'paid', 'void', 'refunded'
  )),

  -- Payment mode (locked at creation)
  payment_mode VARCHAR(50) NOT NULL CHECK (payment_mode IN ('stripe', 'manual')),
  payment_mode_locked_at TIMESTAMP DEFAULT NOW(),

  -- Stripe
  stripe_invoice_id VARCHAR(50) UNIQUE,
  stripe_payment_intent_id VARCHAR(50),

  -- Manual payment tracking
  buyer_marked_paid_at TIMESTAMP,
  buyer_payment_method VARCHAR(50),
  buyer_payment_reference VARCHAR(255),
  provider_confirmed_at TIMESTAMP,
  provider_confirmed_by INTEGER REFERENCES marketplace.users(id),

  -- Timestamps
  issued_at TIMESTAMP,
  due_at TIMESTAMP,
  paid_at TIMESTAMP,

  created_at TIMESTAMP DEFAULT NOW(),
  updated_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_marketplace_invoices_transaction ON marketplace.invoices(transaction_id);
CREATE INDEX IF NOT EXISTS idx_marketplace_invoices_provider ON marketplace.invoices(provider_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_marketplace_invoices_client ON marketplace.invoices(client_id, status, created_at DESC);
CREATE INDEX IF NOT EXISTS idx_marketplace_invoices_stripe ON marketplace.invoices(stripe_invoice_id) WHERE stripe_invoice_id IS NOT NULL;

-- ============================================================================
-- TABLE: marketplace.message_threads (Messaging)
-- ============================================================================

CREATE TABLE IF NOT EXISTS marketplace.message_threads (
  id SERIAL PRIMARY KEY,

  client_id INTEGER NOT NULL REFERENCES marketplace.users(id) ON DELETE CASCADE,
  provider_id INTEGER NOT NULL REFERENCES marketplace.providers(id) ON DELETE CASCADE,
  listing_id INTEGER REFERENCES marketplace.service_listings(id) ON DELETE SET NULL,
  transaction_id BIGINT REFERENCES marketplace.transactions(id) ON DELETE SET NULL,

  subject VARCHAR(255),
  status VARCHAR(50) DEFAULT 'active' CHECK (status IN ('active', 'archived', 'closed')),

  last_message_at TIMESTAMP DEFAULT NOW(),

  created_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_marketplace_threads_client ON marketplace.message_threads(client_id, last_message_at DESC);
CREATE INDEX IF NOT EXISTS idx_marketplace_threads_provider ON marketplace.message_threads(provider_id, last_message_at DESC);

-- ============================================================================
-- TABLE: marketplace.messages (Individual Messages)
-- ============================================================================

CREATE TABLE IF NOT EXISTS marketplace.messages (
  id BIGSERIAL PRIMARY KEY,

  thread_id INTEGER NOT NULL REFERENCES marketplace.message_threads(id) ON DELETE CASCADE,
  sender_id INTEGER NOT NULL REFERENCES marketplace.users(id) ON DELETE CASCADE,

  message_text TEXT NOT NULL,
  read_at TIMESTAMP,

  created_at TIMESTAMP DEFAULT NOW()
);

CREATE INDEX IF NOT EXISTS idx_marketplace_messages_thread ON marketplace.messages(thread_id, created_at DESC);
