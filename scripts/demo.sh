#!/usr/bin/env bash
# `make demo` (and `make dev` with the argument dev): everything a fresh machine needs — virtualenv,
# install, secret key, database (SQLite under var/ unless DATABASE_URL is set), static files, the demo
# account — then the web server and the background worker together (scripts/serve.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-prod}
started=$SECONDS

if [ "$mode" = dev ]; then
  scripts/venv.sh dev
  export DJANGO_SETTINGS_MODULE=config.settings.local
else
  scripts/venv.sh runtime
  export DJANGO_SETTINGS_MODULE=config.settings.production
fi
mkdir -p var
# One secret per checkout, made once and kept (sessions survive restarts), readable by its owner only.
if [ ! -s var/secret_key ]; then
  (umask 077 && .venv/bin/python -c "import secrets; print(secrets.token_urlsafe(50))" > var/secret_key)
fi
chmod 600 var/secret_key
SECRET_KEY=${SECRET_KEY:-$(cat var/secret_key)}
export SECRET_KEY
export ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}

py=.venv/bin/python
echo "== database: ${DATABASE_URL:+PostgreSQL (DATABASE_URL)}${DATABASE_URL:-SQLite, var/zhuli.sqlite3}"
$py manage.py migrate --noinput -v 0
$py manage.py createcachetable
if [ "$mode" != dev ]; then
  echo "== collecting static files"
  $py manage.py collectstatic --noinput -v 0
fi
$py manage.py seed_demo --size "${ZHULI_DEMO_SIZE:-standard}"
echo "== ready in $((SECONDS - started)) s"
exec scripts/serve.sh "$mode"
