"""Where a transfer's PostgreSQL CPU goes, and what batched posting would buy.

`bench/run.py --posting-cost` (after the SQL replay has captured the app's transfer) cuts
that captured transfer into its parts and replays each through pgbench at the HTTP
transfer rate, beside TPC-B at the same rate, in alternating rounds (this machine's speed
drifts within minutes):

- `session`: the authentication lookup alone, as the app runs it (autocommit);
- `posting`: the posting statement alone, in its own transaction (its commit, foreign
  keys, zero-sum trigger, indexes, WAL: the ledger's write with nothing around it);
- `transfer`: BEGIN, the lock, the posting, COMMIT: the app's database transaction;
- `batch-1`: the `transfer` part on one connection: the control for the batches, which
  also run on one (this 2-core machine charges more per transaction spread over more
  backends, docs/scaling.md);
- `batch-N`: N transfers in ONE database transaction: one lock statement for their 2N
  accounts (in id order, as lock_accounts), N postings, one commit: what a writer batching
  N waiting transfers would send, at rate / N transactions per second, on one connection.

The unbatched parts and TPC-B run with one pgbench client per connection the app held in
the HTTP run: CPU per transaction grows with the number of backends sharing the cores.

The figure docs/scaling.md compares with issue 15's 1.5x: (batch-N per transfer + session)
/ TPC-B, because every request still authenticates itself.

Parties are picked by arithmetic on bench_party's numbering (the seeded ids are
consecutive; checked), so no part pays for a lookup the app does not make; the lock names
the recipient by id, not by account number. Like the replay, these runs write the captured
balances: they run after the ledger audit.
"""

import re
import statistics
from dataclasses import dataclass

PARTY_TABLE = "bench_party"
# The per-transfer variables pick() defines; the lock's account number is replaced by ids.
PAIR_VARIABLES = ("s", "r", "uid", "ruid", "sid", "src", "dst", "ref")
_VARIABLE = re.compile(r"(?<![:\w]):([a-z_]+)\b")  # :src, not the ::bigint of a cast
_LOCK_WHERE = re.compile(r" WHERE .+? ORDER BY a\.id")


@dataclass(frozen=True)
class Part:
    name: str
    script: str
    transfers: int  # transfers per pgbench transaction
    clients: int
    what: str


def captured_statements(script: str) -> dict[str, str]:
    """The session lookup, the account lock and the posting of a captured transfer script."""
    found = {}
    for line in (line.rstrip().removesuffix(";") for line in script.splitlines()):
        if 'FROM "usersessions_session"' in line:
            found["session"] = line
        elif line.startswith("SELECT") and "FOR UPDATE" in line:
            found["lock"] = line
        elif line.startswith('WITH tx AS (INSERT INTO "transactions_transaction"'):
            found["posting"] = line
    missing = {"session", "lock", "posting"} - set(found)
    if missing:
        raise ValueError(f"the captured transfer has no {', '.join(sorted(missing))} statement: "
                         "did the hot path change shape? (bench/django_tasks.py capture)")
    return found


def numbered(sql: str, i: int) -> str:
    """`sql` with the transfer's variables renamed for the i-th transfer of a batch."""
    def rename(match):
        name = match.group(1)
        if name not in PAIR_VARIABLES:
            raise ValueError(f"unknown pgbench variable :{name} in {sql[:120]!r}")
        return f":{name}{i}"
    return _VARIABLE.sub(rename, sql)


def lock_by_ids(lock_sql: str, variables: list[str]) -> str:
    """The captured lock statement, naming its accounts by id (sorted by the ORDER BY)."""
    replaced, count = _LOCK_WHERE.subn(f" WHERE a.id IN ({', '.join(variables)}) ORDER BY a.id", lock_sql, count=1)
    if count != 1:
        raise ValueError(f"cannot find the lock's WHERE ... ORDER BY a.id in {lock_sql[:200]!r}")
    return replaced


def pick(i: int, parties: int, offsets: dict[str, int]) -> list[str]:
    """pgbench lines choosing the i-th transfer's sender and recipient (distinct) at random."""
    return [
        f"\\set s{i} random(1, {parties})",
        f"\\set r{i} 1 + (:s{i} + random(0, {parties - 2})) % {parties}",
        f"\\set uid{i} :s{i} + {offsets['uid']}",
        f"\\set ruid{i} :r{i} + {offsets['uid']}",
        f"\\set sid{i} :s{i} + {offsets['sid']}",
        f"\\set src{i} :s{i} + {offsets['src']}",
        f"\\set dst{i} :r{i} + {offsets['src']}",
        f"\\set ref{i} random(1000000000000000, 9999999999999999)",
    ]


def parts(script: str, parties: int, offsets: dict[str, int], batches=(1, 2, 4, 8, 16), clients: int = 5) -> list[Part]:
    """The parts, each a pgbench script. `clients`: the app's connections (one per worker); the
    batches run on one, as one writer would."""
    statements = captured_statements(script)

    def transfers(n: int, *, lock: bool) -> str:
        lines = [line for i in range(1, n + 1) for line in pick(i, parties, offsets)] + ["BEGIN;"]
        if lock:
            lines.append(lock_by_ids(statements["lock"], [f":{side}{i}" for i in range(1, n + 1)
                                                           for side in ("src", "dst")]) + ";")
        lines += [numbered(statements["posting"], i) + ";" for i in range(1, n + 1)] + ["END;"]
        return "\n".join(lines) + "\n"

    single = "\n".join(pick(1, parties, offsets)) + "\n"
    return [
        Part("session", single + numbered(statements["session"], 1) + ";\n", 1, clients,
             "the session lookup alone (autocommit)"),
        Part("posting", transfers(1, lock=False), 1, clients,
             "the posting statement alone, with its commit"),
        Part("transfer", transfers(1, lock=True), 1, clients,
             "BEGIN, lock, posting, COMMIT: the app's transaction"),
        *[Part(f"batch-{n}", transfers(n, lock=True), n, 1,
               f"{n} transfers in one transaction: one lock, {n} postings, one commit") for n in batches],
    ]


def party_offsets(cursor) -> tuple[int, dict[str, int]]:
    """How many parties bench_party holds, and the constant gap between a party's number and
    its user, first session and account ids. Refuses numbering that is not consecutive."""
    # A party's first session (made at seeding, in order): later logins (the login scenario)
    # give users newer sessions, so bench_party.sid (the newest) is not consecutive.
    cursor.execute(
        "WITH p AS (SELECT n, uid, src, (SELECT min(s.id) FROM usersessions_session s WHERE s.user_id = uid) AS sid"
        f" FROM {PARTY_TABLE})"
        " SELECT count(*), min(uid - n), max(uid - n), min(sid - n), max(sid - n), min(src - n), max(src - n) FROM p")
    count, *bounds = cursor.fetchone()
    if count < 2:
        raise ValueError(f"{PARTY_TABLE} holds {count} parties; a transfer needs two")
    offsets = {}
    for name, (low, high) in zip(("uid", "sid", "src"), zip(bounds[::2], bounds[1::2], strict=True), strict=True):
        if low is None or low != high:
            raise ValueError(f"{PARTY_TABLE}.{name} is not numbered consecutively ({low}..{high}): "
                             "the posting-cost runs pick parties by arithmetic")
        offsets[name] = int(low)
    return int(count), offsets


def summary(rows: list[dict]) -> list[str]:
    """Per transfer, each part against TPC-B's transaction at the same rate (one line per part,
    the rounds' median), and what batching would make of the issue's ratio."""
    def median(name: str):
        values = [row["per_transfer_ms"] for row in rows
                  if row["scenario"] == name and row.get("per_transfer_ms") is not None]
        return statistics.median(values) if values else None

    tpcb = median("cost-tpcb")
    if not tpcb:
        return []
    names = list(dict.fromkeys(row["scenario"] for row in rows if row["scenario"] != "cost-tpcb"))
    lines = [f"TPC-B-like at the same rate: {tpcb:.3f} ms per transaction (median of the rounds)"]
    session = median("cost-session")
    for name in names:
        value = median(name)
        if value is None:
            continue
        line = f"{name[len('cost-'):]}: {value:.3f} ms per transfer = {value / tpcb:.2f}x TPC-B"
        if (name == "cost-transfer" or name.startswith("cost-batch-")) and session is not None:
            line += f"; with each request's session lookup {value + session:.3f} ms = {(value + session) / tpcb:.2f}x"
        lines.append(line)
    return lines
