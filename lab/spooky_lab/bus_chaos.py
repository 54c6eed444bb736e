"""Event-bus chaos for the drills: take the lab's NATS away and back, and a producer that lives through it.

    python -m spooky_lab.bus_chaos bus-stop | bus-start
    python -m spooky_lab.bus_chaos produce --run-id R --count 200 --rate 40 [--no-dedupe] [--resend 5]

The producer publishes `count` events {"id": "<run>-<i>", "seq": i} on `events.drill.<run>` (stream EVENTS),
with the `Nats-Msg-Id` header unless --no-dedupe. It is at-least-once, as a real client: when a publish
fails (the bus is down) it waits for the bus and then sends again the last `resend` events before the failed
one, whose acknowledgements the drill counts as lost in the outage. JetStream drops those copies by their
message id; without ids they are stored twice, which the replay must catch. Prints a JSON summary.
"""

import argparse
import asyncio
import json
import sys
import time

from . import config
from .services import nats as nats_service


async def produce(url: str, run_id: str, count: int, rate: float, dedupe: bool, resend: int) -> dict:
    import nats

    nc = await nats.connect(url, max_reconnect_attempts=-1, reconnect_time_wait=0.2, connect_timeout=2)
    js = nc.jetstream(timeout=1)
    subject = f"events.drill.{run_id}"
    sent = failures = resent = 0
    i = 0
    while i < count:
        event_id = f"{run_id}-{i}"
        try:
            await js.publish(subject, json.dumps({"id": event_id, "seq": i}).encode(),
                             headers={"Nats-Msg-Id": event_id} if dedupe else None)
            sent += 1
            i += 1
            await asyncio.sleep(1.0 / rate)
        except Exception:  # noqa: BLE001 - the bus is down: wait, then resend what may have been lost
            failures += 1
            await asyncio.sleep(0.5)
            back = min(resend, i)
            i -= back
            resent += back
    await nc.close()
    return {"run_id": run_id, "count": count, "published": sent, "failures": failures, "resent": resent, "dedupe": dedupe}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spooky_lab.bus_chaos")
    sub = parser.add_subparsers(dest="action", required=True)
    sub.add_parser("bus-stop")
    sub.add_parser("bus-start")
    prod = sub.add_parser("produce")
    prod.add_argument("--run-id", required=True)
    prod.add_argument("--count", type=int, default=200)
    prod.add_argument("--rate", type=float, default=40.0)
    prod.add_argument("--no-dedupe", action="store_true")
    prod.add_argument("--resend", type=int, default=5)
    args = parser.parse_args(argv)
    cfg = config.load()
    if args.action == "bus-stop":
        print(json.dumps({"stopped": nats_service.stop(cfg)}))
    elif args.action == "bus-start":
        began = time.monotonic()
        print(json.dumps({"started": bool(nats_service.start(cfg)), "seconds": round(time.monotonic() - began, 2)}))
    else:
        if args.count < 1 or args.rate <= 0 or args.resend < 0:
            print("count >= 1, rate > 0 and resend >= 0 please", file=sys.stderr)
            return 2
        print(json.dumps(asyncio.run(produce(nats_service.url(cfg), args.run_id, args.count, args.rate, not args.no_dedupe, args.resend))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
