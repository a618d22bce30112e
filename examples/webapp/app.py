"""The demo's web app: it finds its database through the link variables Docker's --link gives
(DB_PORT_5432_TCP_ADDR, DB_PORT_5432_TCP_PORT), connects to it by the alias `db` (an
/etc/hosts entry of the link), and answers every HTTP request with a row it reads there."""
import http.server
import os
import socket

import psycopg2

ADDR = os.environ["DB_PORT_5432_TCP_ADDR"]
PORT = int(os.environ["DB_PORT_5432_TCP_PORT"])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with psycopg2.connect(host="db", port=PORT, user="postgres", dbname="postgres",
                              connect_timeout=5) as conn, conn.cursor() as cur:
            cur.execute("SELECT msg FROM greetings ORDER BY id LIMIT 1")
            (msg,) = cur.fetchone()
        body = (f"web ({socket.gethostname()}) asked db at {ADDR}:{PORT} "
                f"(alias db = {socket.gethostbyname('db')}) and got: {msg}\n").encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        print(fmt % args, flush=True)


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("0.0.0.0", 5000), Handler).serve_forever()
