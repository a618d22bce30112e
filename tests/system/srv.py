"""Test server run inside containers.

srv.py tcp PORT [PORT...]   answers each connection with
                            "hello from <hostname> port <local port> peer <client ip>\n"
                            followed by what the client sent (until it closes its side)
srv.py tcp46 PORT [PORT...] the same, listening on IPv6 and IPv4 (one dual-stack socket)
srv.py udp PORT [PORT...]   answers each datagram with "<hostname> <port> <client ip> <data>"
srv.py http PORT TEXT       answers every HTTP request with TEXT
"""
import selectors
import socket
import sys
import threading

HOST = socket.gethostname()


def tcp_client(conn, port):
    with conn:
        peer = conn.getpeername()[0]
        conn.sendall(f"hello from {HOST} port {port} peer {peer}\n".encode())
        conn.settimeout(10)
        try:
            while True:
                b = conn.recv(65536)
                if not b:
                    break
                conn.sendall(b)
        except OSError:
            pass


def main():
    kind, ports = sys.argv[1], [int(p) for p in sys.argv[2:] if p.isdigit()]
    sel = selectors.DefaultSelector()
    if kind == "http":
        text = sys.argv[3].encode()
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", ports[0]))
        s.listen(64)
        while True:
            c, _ = s.accept()
            with c:
                c.recv(65536)
                c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(text), text))
    for p in ports:
        if kind == "tcp46":
            s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("::", p))
        else:
            s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if kind == "udp" else socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("0.0.0.0", p))
        if kind != "udp":
            s.listen(128)
        sel.register(s, selectors.EVENT_READ, p)
    print("ready", flush=True)
    while True:
        for key, _ in sel.select():
            s, port = key.fileobj, key.data
            if kind != "udp":
                conn, _ = s.accept()
                threading.Thread(target=tcp_client, args=(conn, port), daemon=True).start()
            else:
                data, addr = s.recvfrom(65536)
                s.sendto(f"{HOST} {port} {addr[0]} ".encode() + data, addr)


if __name__ == "__main__":
    main()
