"""What a spliced session does when its client stops reading: a server on
127.0.0.51:6000 writes as fast as it can to a client, through pgfront and
through splice_proxy, that reads nothing. Through pgfront the server is
stopped once the socket buffers on the way are full; the script reports
how much it got rid of and how much MemAvailable fell, and stops the
server at CAP_MB so that the spliced case cannot exhaust the machine.

  /usr/bin/python3 sockmap/backlog.py   (as root, after make -C sockmap)
"""
import os
import socket
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", ".."))
from lib import PG_HOST, PGFRONT_HOST, REST_PORT, proxies, rows  # noqa: E402
from lib.stubs import PatroniStub  # noqa: E402

PORT = 6000
SPLICE_HOST = "127.0.0.56"
CAP_MB = int(os.environ.get("CAP_MB", "1024"))
SECONDS = 5



def mem_available_mb():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) // 1024
    return 0


def one(host, listener):
    """MB the server wrote and MB of MemAvailable lost while the client
    read nothing for SECONDS."""
    sent = [0]

    def serve():
        conn, _ = listener.accept()
        conn.settimeout(0.5)
        chunk = b"x" * 65536
        deadline = time.monotonic() + SECONDS
        while time.monotonic() < deadline and sent[0] < CAP_MB << 20:
            try:
                sent[0] += conn.send(chunk)
            except socket.timeout:
                continue
        conn.close()
    before = mem_available_mb()
    server = threading.Thread(target=serve)
    server.start()
    client = socket.create_connection((host, PORT))
    client.sendall(rows.startup_packet())      # pgfront connects to a server after a first packet
    lowest = before
    while server.is_alive():
        lowest = min(lowest, mem_available_mb())
        time.sleep(0.2)
    client.close()
    return sent[0] >> 20, before - lowest


def main():
    stub = PatroniStub(PG_HOST, REST_PORT, {"/primary"})
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((PG_HOST, PORT))
    listener.listen(8)
    pgfront = proxies.Proxy("pgfront", proxies.idle_config("pgfront", 100), "backlog").start()
    spliced = subprocess.Popen(["./splice_proxy", SPLICE_HOST, str(PORT), PG_HOST, str(PORT)],
                               cwd=HERE)
    try:
        time.sleep(8)
        for name, host in (("pgfront", PGFRONT_HOST), ("sockmap", SPLICE_HOST)):
            mb, lost = one(host, listener)
            print("%-8s the server wrote %5d MB in %d s (cap %d MB) to a client that read "
                  "nothing; MemAvailable fell by %d MB" % (name, mb, SECONDS, CAP_MB, lost),
                  flush=True)
            time.sleep(2)
    finally:
        spliced.terminate()
        pgfront.stop()
        stub.stop()
        listener.close()


if __name__ == "__main__":
    main()
