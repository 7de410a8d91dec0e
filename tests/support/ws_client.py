#!/usr/bin/python3
"""A WebSocket client for the control API's streams (tests only).

Usage: ws_client.py URL SECONDS [MAX_MESSAGES]
       ws_client.py --stall URL SECONDS

Connects to URL (ws://...), prints every text message it receives on a line of its own
(flushed at once, so a test can read the file while it runs) until SECONDS have passed or
MAX_MESSAGES arrived, then closes cleanly and exits 0. With --stall it subscribes and then
reads nothing for SECONDS (the library's own queue holds one message, so the socket backs
up: a dashboard whose tab froze), printing "stalled" once connected.

A refused handshake prints
"status NNN" and exits 2; any other failure prints the reason and exits 1.
"""
import asyncio
import sys

import websockets


async def main(url, seconds, limit):
    try:
        async with websockets.connect(url, max_size=None, open_timeout=10) as ws:
            received = 0
            loop = asyncio.get_running_loop()
            deadline = loop.time() + seconds
            while received < limit:
                left = deadline - loop.time()
                if left <= 0:
                    break
                try:
                    message = await asyncio.wait_for(ws.recv(), timeout=left)
                except asyncio.TimeoutError:
                    break
                sys.stdout.write(message.rstrip("\n") + "\n")
                sys.stdout.flush()
                received += 1
        return 0
    except websockets.exceptions.InvalidStatusCode as e:
        print(f"status {e.status_code}", flush=True)
        return 2
    except Exception as e:  # noqa: BLE001 - the test reads the reason
        print(f"error {type(e).__name__}: {e}", flush=True)
        return 1


async def stall(url, seconds):
    async with websockets.connect(url, max_size=None, max_queue=1, read_limit=4096,
                                  open_timeout=10) as ws:
        sock = ws.transport.get_extra_info("socket")
        if sock is not None:
            import socket
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        print("stalled", flush=True)
        await asyncio.sleep(seconds)
        # Gone without a closing handshake, as a killed tab: the server learns from TCP.
        ws.transport.abort()
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--stall":
        sys.exit(asyncio.run(stall(sys.argv[2], float(sys.argv[3]))))
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 1 << 30
    sys.exit(asyncio.run(main(sys.argv[1], float(sys.argv[2]), limit)))
