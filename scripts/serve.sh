#!/usr/bin/env bash
# Runs the web server (gunicorn, or runserver with `dev`) and the background worker (run_worker)
# side by side. Ctrl-C or SIGTERM stops both; if either dies, the other is stopped too.
set -uo pipefail
cd "$(dirname "$0")/.."
mode=${1:-prod}
port=${PORT:-8000}
bin=.venv/bin
pids=()

stop() {
  trap - INT TERM
  for pid in "${pids[@]}"; do
    pkill -TERM -P "$pid" 2>/dev/null  # runserver's autoreloader child
    kill -TERM "$pid" 2>/dev/null
  done
  wait
}
trap 'echo; echo "== stopping"; stop; exit 0' INT TERM

if [ "$mode" = dev ]; then
  "$bin/python" manage.py runserver "127.0.0.1:$port" &
else
  "$bin/gunicorn" config.wsgi:application --bind "127.0.0.1:$port" --workers "${WEB_CONCURRENCY:-2}" \
    --threads "${WEB_THREADS:-4}" --timeout 120 --graceful-timeout 5 --no-control-socket --access-logfile - &
fi
pids+=($!)
"$bin/python" manage.py run_worker &
pids+=($!)

cat <<BANNER

== Zhuli CRM (助理) is at http://127.0.0.1:$port/
   Demo logins, password zhuli-demo:
     boss@demo.example.com (老板)      director@demo.example.com (总监)   admin@demo.example.com (公司管理员)
     manager1@demo.example.com, manager2@demo.example.com (经理)
     sales1@demo.example.com … sales6@demo.example.com (销售)
     assistant@ / service@ / finance@ / keeper@demo.example.com (助理 / 客服 / 财务 / 库管)
   API: http://127.0.0.1:$port/api/v1/docs      Ctrl-C stops the server and the worker.

BANNER

wait -n
status=$?
echo "== a process exited (status $status); stopping the rest"
stop
exit "$status"
