"""A one-connection TLS server for the client's tests: it sends DATA, then ends the session
with close_notify ("notify"), drops the TCP connection without it ("truncate"), as a
truncating attacker or a crashed server would, or resets it ("reset"). Prints its port, then
serves one client.

usage: tls_peer.py notify|truncate|reset CERT KEY DATA
"""
import socket
import ssl
import struct
import sys
import time

mode, cert, key, data = sys.argv[1:5]
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
listener = socket.socket()
listener.bind(("127.0.0.1", 0))
listener.listen()
print(listener.getsockname()[1], flush=True)
listener.settimeout(20)
conn, _ = listener.accept()
conn.settimeout(20)
tls = ctx.wrap_socket(conn, server_side=True)
if data:
    tls.sendall(data.encode())
if mode == "notify":
    tls.setblocking(False)
    try:
        tls.unwrap()  # sends close_notify; the client's may not have come yet
    except (ssl.SSLWantReadError, ssl.SSLError, OSError):
        pass
elif mode == "reset":
    time.sleep(0.2)  # the data reaches the client before the reset
    tls.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
else:
    socket.socket.shutdown(tls, socket.SHUT_RDWR)  # TCP FIN, no close_notify
tls.close()
