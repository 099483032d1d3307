# Shared by run.sh and ab.sh (sourced, after they set WORK, PREFIX, PIDS, REDIS_HOST, REDIS_PORT and WORKERS):
# free ports, cleanup on exit, and the two nginx instances every measurement uses.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$WORK/backend.pid" "$WORK/front.pid"; do [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true; done
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "$PREFIX:*" | xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null || true
}

start_nginx() { # name workers body: writes $WORK/<name>/nginx.conf around the http body and starts it
  mkdir -p "$WORK/$1"
  cat > "$WORK/$1/nginx.conf" <<CONF
worker_processes $2;
pid $WORK/$1.pid;
error_log $WORK/$1/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $WORK/$1/body; proxy_temp_path $WORK/$1/proxy;
  fastcgi_temp_path $WORK/$1/fcgi; uwsgi_temp_path $WORK/$1/uwsgi; scgi_temp_path $WORK/$1/scgi;
  $3
}
CONF
  nginx -p "$WORK/$1" -c "$WORK/$1/nginx.conf"
}

# The fast backend (nginx answering a JSON-RPC result with a session id, like a stateful MCP server would) on
# $BACKEND_PORT, nginx as a plain reverse proxy to it on $NGINX_PORT (WORKERS workers), and $WORK/routes.yaml routing
# bench/echo to the backend for the proxy-runner.
start_backend_and_nginx() {
  BACKEND_PORT=$(free_port); NGINX_PORT=$(free_port)
  start_nginx backend 1 "server { listen 127.0.0.1:$BACKEND_PORT; keepalive_requests 1000000;
    location /mcp { default_type application/json; add_header Mcp-Session-Id bench-backend-session;
      return 200 '{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"ok\"}]}}'; } }"
  start_nginx front "$WORKERS" "upstream backend { server 127.0.0.1:$BACKEND_PORT; keepalive 64; keepalive_requests 1000000; }
  server { listen 127.0.0.1:$NGINX_PORT; keepalive_requests 1000000;
    location / { proxy_pass http://backend; proxy_http_version 1.1; proxy_set_header Connection \"\"; proxy_buffering off; } }"
  printf 'routes:\n  - server: bench/echo\n    pods:\n      - { name: echo-0, url: "http://127.0.0.1:%s/mcp" }\n' "$BACKEND_PORT" > "$WORK/routes.yaml"
}

# A wrk script: tools/call of echo within the session <session-id> (a follow-up request, the proxy's hot path).
write_lua() { # file session-id
  cat > "$1" <<LUA
wrk.method = "POST"
wrk.body = '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"message":"hi"}}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, text/event-stream"
wrk.headers["Mcp-Session-Id"] = "$2"
wrk.headers["MCP-Protocol-Version"] = "2025-06-18"
LUA
}
