"""Summarise py-spy "raw" (collapsed stack) profiles of gunicorn workers.

    python bench/profile_summary.py bench/results/profile-transfer-*.txt

Only samples taken while a thread was handling a request count (idle worker threads
waiting for a connection are dropped). Samples are recorded with --idle, so time spent
waiting on PostgreSQL or Redis shows up (as psycopg / redis frames) next to CPU time.
Prints: where request time goes by layer, the heaviest functions inclusive of callees,
and the heaviest leaf (self) frames.
"""

import re
import sys
from collections import Counter

FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")

REQUEST_MARKERS = ("handle_request", "handle")  # gunicorn gthread / sync worker entry points
# Layers, tested from the leaf upwards: the first match owns the sample.
LAYERS = [
    ("PostgreSQL round trips (psycopg, incl. waiting)", ("psycopg/", "psycopg_binary", "psycopg_c")),
    ("Redis round trips (revocation check)", ("redis/", "django_redis/")),
    ("Argon2", ("argon2/",)),
    ("JWT decode/verify (simplejwt, PyJWT)", ("rest_framework_simplejwt/", "jwt/")),
    ("ORM: SQL compile, model instances", ("django/db/",)),
    ("DRF serializers and fields", ("rest_framework/serializers.py", "rest_framework/fields.py",
                                    "rest_framework/relations.py", "rest_framework/utils/")),
    ("JSON render/parse (orjson)", ("bank_project/renderers.py",)),
    ("DRF request/view machinery", ("rest_framework/",)),
    ("URL routing", ("django/urls/",)),
    ("middleware and Django HTTP", ("django/middleware/", "django/contrib/", "django/http/", "django/core/handlers/",
                                    "whitenoise/", "corsheaders/", "bank_project/middleware.py",
                                    "django/utils/", "django/dispatch/", "django/conf/")),
    ("gunicorn (HTTP parsing, socket writes)", ("gunicorn/",)),
    ("bank code (views, services, serializers)", ("transactions/", "accounts/", "services/", "bank_project/")),
]


def parse(paths):
    stacks = Counter()
    for path in paths:
        with open(path) as fh:
            for line in fh:
                line = line.rstrip("\n")
                if not line:
                    continue
                stack, _, count = line.rpartition(" ")
                if not count.isdigit():
                    continue
                stacks[tuple(stack.split(";"))] += int(count)
    return stacks


def frame_parts(frame: str):
    match = FRAME.match(frame)
    if not match:
        return frame, ""
    return match["func"], match["file"]


def short(frame: str) -> str:
    func, file = frame_parts(frame)
    for marker in ("site-packages/", "/work/main/"):
        if marker in file:
            file = file.split(marker, 1)[1]
    return f"{func} ({file})" if file else func


def in_request(stack) -> bool:
    return any(frame_parts(frame)[0].rsplit(".", 1)[-1] in REQUEST_MARKERS and "gunicorn/workers" in frame
               for frame in stack)


def layer_of(stack) -> str:
    for frame in reversed(stack):
        _, file = frame_parts(frame)
        for name, markers in LAYERS:
            if any(marker in file for marker in markers):
                return name
    return "other (interpreter, stdlib)"


# Leaves where a thread sleeps on a socket (the GIL released): wall time, not CPU.
WAITING = ("Connection.wait (psycopg", "wait_c (psycopg", "_read_from_socket (redis", "select (selectors",
           "recv_into", "SocketBuffer._read_from_socket")


def waiting(stack) -> bool:
    return any(marker in stack[-1] for marker in WAITING)


def main(paths):
    stacks = parse(paths)
    total_all = sum(stacks.values())
    request = {stack: n for stack, n in stacks.items() if in_request(stack)}
    total = sum(request.values())
    if not total:
        print(f"no request samples among {total_all} samples in {paths}")
        return
    print(f"\n{total} samples inside requests ({total_all} in all, the rest idle worker threads)")
    report("WALL TIME (CPU and waiting on PostgreSQL/Redis)", request)
    report("CPU ONLY (samples sleeping on a socket left out)",
           {stack: n for stack, n in request.items() if not waiting(stack)})


def report(title, request):
    total = sum(request.values())
    print(f"\n===== {title}: {total} samples =====\n")

    layers = Counter()
    for stack, n in request.items():
        layers[layer_of(stack)] += n
    print("Request time by layer (leaf frame's layer):")
    for name, n in layers.most_common():
        print(f"  {n / total:6.1%}  {name}")

    inclusive = Counter()
    for stack, n in request.items():
        for frame in set(map(short, stack)):
            inclusive[frame] += n
    print("\nHeaviest functions, inclusive of what they call (% of request samples):")
    shown = 0
    for frame, n in inclusive.most_common():
        if any(skip in frame for skip in ("gunicorn/", "threading.py", "concurrent/futures", "<module>")):
            continue
        print(f"  {n / total:6.1%}  {frame}")
        shown += 1
        if shown == 45:
            break

    leaves = Counter()
    for stack, n in request.items():
        leaves[short(stack[-1])] += n
    print("\nHeaviest leaf frames (self time, % of request samples):")
    for frame, n in leaves.most_common(25):
        print(f"  {n / total:6.1%}  {frame}")


if __name__ == "__main__":
    main(sys.argv[1:])
