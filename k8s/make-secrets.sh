#!/usr/bin/env bash
# Prints a secrets.env for an overlay with fresh random tokens and PostgreSQL password:
#   k8s/make-secrets.sh > k8s/overlays/gpu/secrets.env
# With a managed database, give its connection string (Npgsql syntax) instead of the bundled PostgreSQL's:
#   DATABASE_URL='Host=db.example.com;Database=yolosweep;Username=yolosweep;Password=...' k8s/make-secrets.sh > ...
set -euo pipefail
random() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
password="$(random)"
echo "client-token=$(random)"
echo "trainer-token=$(random)"
echo "postgres-password=$password"
echo "database-url=${DATABASE_URL:-Host=postgres;Port=5432;Database=yolosweep;Username=yolosweep;Password=$password}"
