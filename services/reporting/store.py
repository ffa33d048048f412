"""The aggregator's local state: every verdict, the quarter's latest verdict per site, and the roll-ups.

Every write is keyed so that a duplicate or redelivered result changes nothing:
- `verdicts` holds one row per (sweep, site); a second copy replaces the first only if it is later
  (checked_at, then payload as a tie-break), so arrival order never decides.
- `quarter_sites` is the quarter's verdict per site across sweeps and 复查: the latest measured one
  (a 未能检测 only while there is none), as `report.standing_key` orders them.
- `rollups` counts `quarter_sites` per region at three levels (province, city, county): when a
  site's quarter verdict changes, its count moves from the old row to the new one (O(1) a verdict).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec

from checkers.model import FAIL, UNMEASURED
from services.bus.media_schema import AccountVerdict, RepostCheck
from services.bus.schema import SiteVerdict, SweepStarted
from services.reporting.report import REGION_LEVELS, RegionCount, region_of

SCHEMA = """
CREATE TABLE IF NOT EXISTS sweeps (
    sweep_id TEXT PRIMARY KEY, quarter TEXT NOT NULL, at TEXT NOT NULL,
    sites INTEGER NOT NULL, started_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS verdicts (
    sweep_id TEXT NOT NULL, site_id TEXT NOT NULL, quarter TEXT NOT NULL, at TEXT NOT NULL,
    checked_at TEXT NOT NULL, recheck INTEGER NOT NULL, region_code TEXT NOT NULL,
    verdict TEXT NOT NULL, payload BLOB NOT NULL,
    PRIMARY KEY (sweep_id, site_id)
);
CREATE INDEX IF NOT EXISTS verdicts_by_quarter ON verdicts (quarter, site_id, checked_at);
CREATE TABLE IF NOT EXISTS quarter_sites (
    quarter TEXT NOT NULL, site_id TEXT NOT NULL, sweep_id TEXT NOT NULL, verdict TEXT NOT NULL,
    province_key TEXT NOT NULL, province_name TEXT NOT NULL,
    city_key TEXT NOT NULL, city_name TEXT NOT NULL,
    county_key TEXT NOT NULL, county_name TEXT NOT NULL,
    PRIMARY KEY (quarter, site_id)
);
CREATE TABLE IF NOT EXISTS rollups (
    quarter TEXT NOT NULL, level TEXT NOT NULL, key TEXT NOT NULL, region TEXT NOT NULL,
    sites INTEGER NOT NULL, problems INTEGER NOT NULL, unmeasured INTEGER NOT NULL,
    PRIMARY KEY (quarter, level, key)
);
CREATE TABLE IF NOT EXISTS account_verdicts (
    sweep_id TEXT NOT NULL, account_id TEXT NOT NULL, quarter TEXT NOT NULL,
    checked_at TEXT NOT NULL, verdict TEXT NOT NULL, payload BLOB NOT NULL,
    PRIMARY KEY (sweep_id, account_id)
);
CREATE INDEX IF NOT EXISTS account_verdicts_by_quarter ON account_verdicts (quarter, account_id);
CREATE TABLE IF NOT EXISTS repost_checks (
    sweep_id TEXT PRIMARY KEY, quarter TEXT NOT NULL, checked_at TEXT NOT NULL,
    payload BLOB NOT NULL
);
"""
TABLES = ("rollups", "quarter_sites", "verdicts", "sweeps", "account_verdicts", "repost_checks")


class StoreError(Exception):
    """The store file cannot be used; the message names the file and why."""


class Store:
    def __init__(self, path: Path) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            # A report run may read while an aggregator writes: wait for its lock, do not fail.
            self.db = sqlite3.connect(path, timeout=30)
            # WAL with NORMAL sync: a commit per verdict without an fsync per commit. A crash can
            # lose the last commits, never corrupt the file, and a replay restores them.
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
            self.db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{path}: not a usable govsweep store ({exc})") from None

    def close(self) -> None:
        self.db.close()

    def clear(self) -> None:
        """Forget everything, before a rebuild from the results stream."""
        with self.db:
            for table in TABLES:
                self.db.execute(f"DELETE FROM {table}")

    def add_sweep(self, sweep: SweepStarted) -> None:
        with self.db:
            self.db.execute(
                "INSERT OR REPLACE INTO sweeps VALUES (?, ?, ?, ?, ?)",
                (sweep.sweep_id, sweep.quarter, sweep.at, sweep.sites, sweep.started_at),
            )

    def add_verdict(self, verdict: SiteVerdict) -> bool:
        """Record a verdict; True when it changed the store (False for a duplicate or older copy)."""
        payload = msgspec.json.encode(verdict)
        with self.db:
            changed = self.db.execute(
                """INSERT INTO verdicts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT (sweep_id, site_id) DO UPDATE SET
                     quarter = excluded.quarter, at = excluded.at, checked_at = excluded.checked_at,
                     recheck = excluded.recheck, region_code = excluded.region_code,
                     verdict = excluded.verdict, payload = excluded.payload
                   WHERE (excluded.checked_at, excluded.payload)
                       > (verdicts.checked_at, verdicts.payload)""",
                (
                    verdict.sweep_id,
                    verdict.site.site_id,
                    verdict.quarter,
                    verdict.at,
                    verdict.checked_at,
                    int(verdict.recheck),
                    verdict.site.region_code,
                    verdict.verdict.verdict,
                    payload,
                ),
            ).rowcount
            if changed:
                self._refresh_site(verdict.quarter, verdict.site.site_id)
        return bool(changed)

    def _refresh_site(self, quarter: str, site_id: str) -> None:
        """Re-pick the site's quarter verdict; move its count from the old row to the new one."""
        before = self.db.execute(
            "SELECT verdict, province_key, city_key, county_key FROM quarter_sites "
            "WHERE quarter = ? AND site_id = ?",
            (quarter, site_id),
        ).fetchone()
        row = self.db.execute(  # the order of report.standing_key
            f"""SELECT payload FROM verdicts WHERE quarter = ? AND site_id = ?
               ORDER BY verdict != '{UNMEASURED}' DESC, checked_at DESC, sweep_id DESC LIMIT 1""",
            (quarter, site_id),
        ).fetchone()
        latest = msgspec.json.decode(row[0], type=SiteVerdict)
        regions = [region_of(latest.site, level) for level in REGION_LEVELS]
        self.db.execute(
            "INSERT OR REPLACE INTO quarter_sites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (quarter, site_id, latest.sweep_id, latest.verdict.verdict, *sum(regions, ())),
        )
        if before:
            old_verdict, *old_keys = before
            for level, key in zip(REGION_LEVELS, old_keys, strict=True):
                self._count(quarter, level, key, "", old_verdict, -1)
        for level, (key, name) in zip(REGION_LEVELS, regions, strict=True):
            self._count(quarter, level, key, name, latest.verdict.verdict, +1)

    def _count(
        self, quarter: str, level: str, key: str, name: str, verdict: str, step: int
    ) -> None:
        """Add (step 1) or take away (step -1) one site with `verdict` in a roll-up row."""
        self.db.execute(
            """INSERT INTO rollups VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (quarter, level, key) DO UPDATE SET
                 region = IIF(excluded.region = '', region, excluded.region),
                 sites = sites + excluded.sites, problems = problems + excluded.problems,
                 unmeasured = unmeasured + excluded.unmeasured""",
            (
                quarter,
                level,
                key,
                name,
                step,
                step * (verdict == FAIL),
                step * (verdict == UNMEASURED),
            ),
        )
        if step < 0:
            self.db.execute(
                "DELETE FROM rollups WHERE quarter = ? AND level = ? AND key = ? AND sites = 0",
                (quarter, level, key),
            )

    def quarters(self) -> list[str]:
        """The quarters that have at least one verdict, oldest first."""
        # rollups has a few rows per quarter, quarter_sites one per site.
        rows = self.db.execute("SELECT DISTINCT quarter FROM rollups ORDER BY quarter")
        return [row[0] for row in rows]

    def sweeps(self, quarter: str) -> list[SweepStarted]:
        rows = self.db.execute(
            "SELECT sweep_id, at, quarter, sites, started_at FROM sweeps WHERE quarter = ? "
            "ORDER BY started_at, sweep_id",
            (quarter,),
        )
        return [SweepStarted(s, at=a, quarter=q, sites=n, started_at=t) for s, a, q, n, t in rows]

    def latest_sweep(self) -> tuple[SweepStarted, int] | None:
        """The sweep started last and how many of its sites have a verdict (sweep progress)."""
        row = self.db.execute(
            """SELECT s.sweep_id, s.at, s.quarter, s.sites, s.started_at,
                      (SELECT COUNT(*) FROM verdicts v WHERE v.sweep_id = s.sweep_id)
               FROM sweeps s ORDER BY s.started_at DESC, s.sweep_id DESC LIMIT 1"""
        ).fetchone()
        if row is None:
            return None
        sweep_id, at, quarter, sites, started_at, done = row
        return SweepStarted(sweep_id, at, quarter, sites, started_at), done

    def sweep_verdicts(self, sweep_id: str) -> list[SiteVerdict]:
        rows = self.db.execute(
            "SELECT payload FROM verdicts WHERE sweep_id = ? ORDER BY site_id", (sweep_id,)
        )
        return [msgspec.json.decode(row[0], type=SiteVerdict) for row in rows]

    def quarter_verdicts(self, quarter: str) -> list[SiteVerdict]:
        """The quarter's verdict per site (a measured recheck replaces the sweep's)."""
        rows = self.db.execute(
            """SELECT v.payload FROM quarter_sites q
               JOIN verdicts v ON v.sweep_id = q.sweep_id AND v.site_id = q.site_id
               WHERE q.quarter = ? ORDER BY q.site_id""",
            (quarter,),
        )
        return [msgspec.json.decode(row[0], type=SiteVerdict) for row in rows]

    def rechecked_history(self, quarter: str) -> dict[str, list[SiteVerdict]]:
        """For every site rechecked in the quarter: all its verdicts of the quarter, oldest first."""
        rows = self.db.execute(
            """SELECT payload FROM verdicts WHERE quarter = ? AND site_id IN (
                   SELECT site_id FROM verdicts WHERE quarter = ? AND recheck = 1)
               ORDER BY site_id, checked_at, sweep_id""",
            (quarter, quarter),
        )
        history: dict[str, list[SiteVerdict]] = {}
        for (payload,) in rows:
            verdict = msgspec.json.decode(payload, type=SiteVerdict)
            history.setdefault(verdict.site.site_id, []).append(verdict)
        return history

    def rollup_counts(self, quarter: str, level: str = "city") -> list[RegionCount]:
        """The materialised roll-up of a quarter at one level, ordered by region key."""
        if level not in REGION_LEVELS:
            raise ValueError(f"region level must be one of {', '.join(REGION_LEVELS)}: {level!r}")
        rows = self.db.execute(
            "SELECT key, region, sites, problems, unmeasured FROM rollups "
            "WHERE quarter = ? AND level = ? ORDER BY key",
            (quarter, level),
        )
        return [RegionCount(*row) for row in rows]

    def add_account_verdict(self, verdict: AccountVerdict) -> bool:
        """Record an account verdict; True when it changed the store (as `add_verdict`)."""
        payload = msgspec.json.encode(verdict)
        with self.db:
            changed = self.db.execute(
                """INSERT INTO account_verdicts VALUES (?, ?, ?, ?, ?, ?)
                   ON CONFLICT (sweep_id, account_id) DO UPDATE SET
                     quarter = excluded.quarter, checked_at = excluded.checked_at,
                     verdict = excluded.verdict, payload = excluded.payload
                   WHERE (excluded.checked_at, excluded.payload)
                       > (account_verdicts.checked_at, account_verdicts.payload)""",
                (
                    verdict.sweep_id,
                    verdict.account.account_id,
                    verdict.quarter,
                    verdict.checked_at,
                    verdict.verdict.verdict,
                    payload,
                ),
            ).rowcount
        return bool(changed)

    def quarter_account_verdicts(self, quarter: str) -> list[AccountVerdict]:
        """The quarter's verdict per account: the latest measured one, else the latest (as for
        sites), ordered by 标识码."""
        rows = self.db.execute(
            f"""SELECT account_id, payload FROM account_verdicts WHERE quarter = ?
               ORDER BY account_id, verdict != '{UNMEASURED}', checked_at, sweep_id""",
            (quarter,),
        )
        standing: dict[str, bytes] = {}
        for account_id, payload in rows:  # the last row of each account is the one that stands
            standing[account_id] = payload
        return [msgspec.json.decode(p, type=AccountVerdict) for p in standing.values()]

    def account_quarters(self) -> list[str]:
        """The quarters that have at least one account verdict, oldest first."""
        rows = self.db.execute("SELECT DISTINCT quarter FROM account_verdicts ORDER BY quarter")
        return [row[0] for row in rows]

    def add_repost_check(self, check: RepostCheck) -> bool:
        """Record a sweep's 重要信息转载 outcomes; True when it changed the store."""
        payload = msgspec.json.encode(check)
        with self.db:
            changed = self.db.execute(
                """INSERT INTO repost_checks VALUES (?, ?, ?, ?)
                   ON CONFLICT (sweep_id) DO UPDATE SET
                     quarter = excluded.quarter, checked_at = excluded.checked_at,
                     payload = excluded.payload
                   WHERE (excluded.checked_at, excluded.payload)
                       > (repost_checks.checked_at, repost_checks.payload)""",
                (check.sweep_id, check.quarter, check.checked_at, payload),
            ).rowcount
        return bool(changed)

    def repost_check(self, quarter: str) -> RepostCheck | None:
        """The quarter's latest 重要信息转载 check (None when no sweep of the quarter ran one)."""
        row = self.db.execute(
            "SELECT payload FROM repost_checks WHERE quarter = ? "
            "ORDER BY checked_at DESC, sweep_id DESC LIMIT 1",
            (quarter,),
        ).fetchone()
        return msgspec.json.decode(row[0], type=RepostCheck) if row else None
