"""Test client: client.py tcp|udp HOST PORT [TIMEOUT] — prints the answer, exit 1 on failure."""
import socket
import sys


def main():
    kind, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    timeout = float(sys.argv[4]) if len(sys.argv) > 4 else 5
    try:
        if kind == "tcp":
            with socket.create_connection((host, port), timeout=timeout) as s:
                s.sendall(b"ping\n")
                s.shutdown(socket.SHUT_WR)
                out = b""
                while True:
                    b = s.recv(65536)
                    if not b:
                        break
                    out += b
        else:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(timeout)
                s.sendto(b"ping", (host, port))
                out = s.recvfrom(65536)[0]
    except OSError as e:
        print(e, file=sys.stderr)
        sys.exit(1)
    sys.stdout.write(out.decode())


if __name__ == "__main__":
    main()
