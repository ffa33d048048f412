"""A simulated province: site specs generated from a seed, the registry export and the ground-truth manifest."""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import msgspec

from farm import faults, functions
from farm import geography as geo
from farm.catalogue import build_columns
from farm.content import column_items, column_letters, guide_missing
from farm.oracle import (
    BASELINE,
    CHANNEL_EXCLUDE,
    FAIL,
    PASS,
    Thresholds,
    expected,
    is_channel,
    is_judged_desk,
    reply_limb,
    unmeasured_reason,
)
from farm.plant import BOUNDARY_CASES, DEFECT_PROFILES, PROFILES, plant
from farm.render import article_path
from farm.spec import (
    GUIDE_MISSING_LINE,
    GUIDE_SHARE_LINE,
    HOSTILE_KINDS,
    ColumnSpec,
    Defect,
    SiteSpec,
)
from farm.variants import VARIANTS, Variant

MANIFEST_SCHEMA = "govsweep-farm-manifest/1"
REGISTRY_HEADERS = ("网站标识码", "网站名称", "首页地址", "地区/部门", "网站类型")
DEFECT_SHARE = 0.25  # about three sites in four are clean 合格
MAX_SITES = 50_000  # one loopback address per site: 127.42.<0-199>.<1-250>


def site_address(index: int) -> str:
    """The loopback address of the index-th site (each site is its own origin)."""
    return f"127.42.{index // 250}.{index % 250 + 1}"


class Body(NamedTuple):
    """A government body that runs a site, before its site is generated."""

    site_id: str
    name: str
    region_code: str
    region_name: str
    registry_region: str
    kind: str
    tier: str
    unit: str
    place: str  # short place name for 走进XX


def _place(name: str) -> str:
    """思南县 → 思南, 六枝特区 → 六枝, 道真仡佬族苗族自治县 → 道真."""
    if "自治" in name:
        return name[:2]
    return name.removesuffix("特区")[:-1] if name.endswith("特区") else name[:-1]


def _bodies(n: int, rng: random.Random) -> list[Body]:
    """The n government bodies of the province, in 标识码 order, mixed like the 贵州 registry."""
    counties = [(city, code, name) for city in geo.CITIES for code, name in city.counties]
    n_prov = min(len(geo.PROVINCE_DEPARTMENTS), round(0.22 * n))
    n_city = min(len(geo.CITIES), round(0.05 * n))
    n_county = min(len(counties), round(0.21 * n))
    city_dept_pool = [(c, d) for c in geo.CITIES for d in geo.LOCAL_DEPARTMENTS]
    n_city_dept = min(len(city_dept_pool), max(0, n - 1 - n_prov - n_city - n_county))
    n_county_dept = n - 1 - n_prov - n_city - n_county - n_city_dept
    county_dept_pool = [(c, d) for c in counties for d in geo.LOCAL_DEPARTMENTS]

    bodies = [
        Body(
            f"{geo.PROVINCE_CODE}0001",
            f"{geo.PROVINCE_NAME}人民政府",
            geo.PROVINCE_CODE,
            geo.PROVINCE_NAME,
            geo.PROVINCE_NAME,
            "门户",
            "province",
            f"{geo.PROVINCE_NAME}人民政府办公厅",
            "贵州",
        )
    ]
    seq: dict[str, int] = {}

    def next_id(region: str) -> str:
        seq[region] = seq.get(region, 1) + rng.randint(1, 3)
        return f"{region}{seq[region]:04d}"

    for dept in sorted(
        rng.sample(geo.PROVINCE_DEPARTMENTS, n_prov), key=geo.PROVINCE_DEPARTMENTS.index
    ):
        code = geo.PROVINCE_CODE
        bodies.append(
            Body(
                next_id(code),
                dept,
                code,
                geo.PROVINCE_NAME,
                "省级部门",
                "部门",
                "province",
                dept,
                "",
            )
        )
    for city in rng.sample(geo.CITIES, n_city):
        name = f"{city.short}人民政府"
        bodies.append(
            Body(
                f"{city.code}0001", name, city.code, city.name, city.short, "门户", "city",
                f"{name}办公室", city.short[:-1],
            )
        )  # fmt: skip
    for city, dept in rng.sample(city_dept_pool, n_city_dept):
        name = f"{city.short}{dept}"
        bodies.append(
            Body(
                next_id(city.code), name, city.code, city.name, city.short, "部门", "city", name, ""
            )
        )
    for city, code, county in rng.sample(counties, n_county):
        name = f"{county}人民政府"
        bodies.append(
            Body(
                f"{code}0001", name, code, county, city.short, "门户", "county", f"{name}办公室",
                _place(county),
            )
        )  # fmt: skip
    for (city, code, county), dept in rng.sample(county_dept_pool, n_county_dept):
        name = f"{county}{dept}"
        bodies.append(
            Body(next_id(code), name, code, county, city.short, "部门", "county", name, "")
        )
    return sorted(bodies, key=lambda b: b.site_id)


def _spread(rng: random.Random, n: int, weights: dict[str, float]) -> list[str]:
    """n labels in proportion to weights, each present at least once when n allows, shuffled."""
    labels = list(weights)
    out = labels[: min(n, len(labels))]
    total = sum(weights.values())
    for label in labels:
        out += [label] * max(0, round(n * weights[label] / total) - 1)
    out = (out + rng.choices(labels, weights=list(weights.values()), k=n))[:n]
    rng.shuffle(out)
    return out


def _footer_code(rng: random.Random, site_id: str) -> tuple[str | None, Defect | None]:
    roll = rng.random()
    if roll < 0.07:
        return None, Defect("site_code_missing", "footer shows no 网站标识码")
    if roll < 0.12:
        wrong = f"{site_id[:6]}{(int(site_id[6:]) + 17) % 10000:04d}"
        return wrong, Defect("site_code_wrong", f"footer shows {wrong}")
    return site_id, None


def generate_province(sites: int, seed: int, at: dt.date) -> Province:
    """A province of `sites` sites as specs (pages are rendered on request). Pure and deterministic."""
    if not isinstance(sites, int) or not 1 <= sites <= MAX_SITES:
        raise ValueError(f"sites must be an integer from 1 to {MAX_SITES}, got {sites!r}")
    if not isinstance(at, dt.date):
        raise ValueError(f"at must be a date (the monitoring time point), got {at!r}")
    rng = random.Random(f"govsweep-farm:{seed}")
    bodies = _bodies(sites, rng)
    n_defect = round(sites * DEFECT_SHARE)
    profiles = [DEFECT_PROFILES[i % len(DEFECT_PROFILES)] for i in range(n_defect)]
    profiles += ["clean"] * (sites - n_defect)
    rng.shuffle(profiles)
    families = _spread(
        rng,
        sites,
        {"trs": 3, "table": 2, "monthday": 1.5, "cnnum": 1.5, "datetime": 2, "xxgk": 1.5},
    )
    charsets = _spread(rng, sites, {"utf-8": 7, "gbk": 1.8, "gb2312": 1.2})
    cases = list(BOUNDARY_CASES)

    specs = []
    for index, (body, profile_name, family, charset) in enumerate(
        zip(bodies, profiles, families, charsets, strict=True)
    ):
        site_rng = random.Random(f"{seed}:{body.site_id}")
        profile = PROFILES[profile_name]
        slots = build_columns(site_rng, body.tier, body.kind, body.place, profile.full)
        boundary_order = cases[index % len(cases) :] + cases[: index % len(cases)]
        planted = plant(site_rng, slots, profile, at, family == "monthday", boundary_order)
        footer_code, footer_defect = _footer_code(site_rng, body.site_id)
        jiucuo = site_rng.random() >= 0.05
        defects = list(planted.defects)
        if profile.home == "stale":
            defects.append(Defect("home_stale", "home blocks show only items older than 14 days"))
        if profile.home.startswith("nav"):
            defects.append(Defect("nav_only_home", f"navigation-only home page ({profile.home})"))
        if footer_defect:
            defects.append(footer_defect)
        if not jiucuo:
            defects.append(Defect("jiucuo_missing", "no 我为政府网站找错 entry"))
        specs.append(
            SiteSpec(
                index=index,
                site_id=body.site_id,
                name=body.name,
                region_code=body.region_code,
                region_name=body.region_name,
                registry_region=body.registry_region,
                kind=body.kind,
                tier=body.tier,
                unit=body.unit,
                family=family,
                charset=charset,
                header_charset=charset == "utf-8" or site_rng.random() < 0.5,
                page_size=site_rng.randint(15, 20),
                nav_only=profile.home.startswith("nav"),
                left_nav=site_rng.random() < 0.5,
                footer_code=footer_code,
                jiucuo=jiucuo,
                icp=f"{geo.PROVINCE_SHORT}ICP备{site_rng.randint(10000000, 20999999)}号",
                police=f"{geo.POLICE_SHORT}公网安备 {body.region_code}{site_rng.randint(0, 10**8 - 1):08d}号",
                profile=profile_name,
                columns=planted.columns,
                defects=tuple(defects),
            )
        )
    clean = [s.index for s in specs if s.profile == "clean"]
    gbk = {s.index for s in specs if s.charset != "utf-8"}
    at_line = {s.index for s in specs if s.profile in ("combined_5", "long_stale_10")}
    for index, quota in sorted(faults.plan(rng, sites, clean, gbk, at_line).items()):
        site_rng = random.Random(f"{seed}:{specs[index].site_id}:fault")
        specs[index] = faults.apply(site_rng, specs[index], quota, at)
    for order, index in enumerate(faults.link_sites(rng, specs)):
        site_rng = random.Random(f"{seed}:{specs[index].site_id}:links")
        specs[index] = faults.with_links(site_rng, specs[index], every_kind=order == 0)
    for index, spec in enumerate(specs):
        specs[index] = functions.furnish(
            random.Random(f"{seed}:{spec.site_id}:functions"), spec, at
        )
    specs = functions.plant_cases(random.Random(f"govsweep-farm:{seed}:functions"), specs, at, seed)
    low = _low_score_sites(random.Random(f"govsweep-farm:{seed}:score"), specs, at, seed)
    for index in low:
        specs[index] = msgspec.structs.replace(
            specs[index],
            footer_code=None,
            jiucuo=False,
            defects=specs[index].defects + LOW_SCORE_DEFECTS,
        )
    return Province(seed, at, tuple(specs))


# A 门户 that shows neither its 网站标识码 nor a 找错 entry: 合格 under the baseline (their points
# are UNKNOWN), below 60 under a variant that scores them (farm/variants.py).
LOW_SCORE_SHARE, LOW_SCORE_FROM_SITES = 0.01, 30
LOW_SCORE_DEFECTS = (
    Defect("site_code_missing", "footer shows no 网站标识码 (low score planted)"),
    Defect("jiucuo_missing", "no 我为政府网站找错 entry (low score planted)"),
)


def _low_score_sites(
    rng: random.Random, specs: list[SiteSpec], at: dt.date, seed: int
) -> list[int]:
    """Indices of the 门户 planted with a low score: chosen among those the baseline finds 合格
    with their identity intact, so that the score is the only thing that moves them."""
    if len(specs) < LOW_SCORE_FROM_SITES:
        return []
    pool = [
        s.index
        for s in specs
        if s.index != 0
        and s.kind == "门户"
        and s.footer_code == s.site_id
        and s.jiucuo
        and expected(s, at, seed=seed)["verdict"] == PASS
    ]
    return sorted(rng.sample(pool, min(len(pool), max(1, round(LOW_SCORE_SHARE * len(specs))))))


class Province:
    """The generated province. Site URLs are known once a server has assigned the shared port."""

    def __init__(self, seed: int, at: dt.date, sites: tuple[SiteSpec, ...]) -> None:
        self.seed = seed
        self.at = at
        self.sites = sites
        self.by_id = {site.site_id: site for site in sites}
        self.port: int | None = None

    def __iter__(self) -> Iterator[SiteSpec]:
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)

    def assign_port(self, port: int) -> None:
        """Fix the port every site listens on (called by the server once it has bound it)."""
        self.port = port

    def origin(self, site: SiteSpec) -> str:
        if self.port is None:
            raise RuntimeError(
                "site URLs are not known yet: start a FarmServer (or assign_port) first"
            )
        return f"http://{site_address(site.index)}:{self.port}"

    def site_url(self, site_id: str) -> str:
        site = self.by_id.get(site_id)
        if site is None:
            raise KeyError(f"no site with 标识码 {site_id!r} in this province")
        return self.origin(site) + "/"

    def expected(
        self, site: SiteSpec, browser: bool = True, thresholds: Thresholds = BASELINE
    ) -> dict:
        """Ground truth for a crawler that renders browser-only lists (or, browser=False, not);
        `thresholds`: the W-V4 lines (default the baseline gov-2019-19, else a variant's)."""
        return expected(site, self.at, browser, self.seed, thresholds)

    def registry_rows(self) -> list[dict[str, str]]:
        """The registry as a province exports it (全国政府网站信息报送系统 columns)."""
        return [
            dict(
                zip(
                    REGISTRY_HEADERS,
                    (s.site_id, s.name, self.site_url(s.site_id), s.registry_region, s.kind),
                    strict=True,
                )
            )
            for s in self.sites
        ]

    def write_registry_csv(self, path: Path | str) -> None:
        """UTF-8 with BOM, as Excel exports it."""
        with open(path, "w", encoding="utf-8-sig", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=REGISTRY_HEADERS)
            writer.writeheader()
            writer.writerows(self.registry_rows())

    def manifest(self) -> dict:
        """Ground truth of every site: columns, planted defects, expected verdict, regional roll-up."""
        sites = [self._site_manifest(site) for site in self.sites]
        return {
            "schema": MANIFEST_SCHEMA,
            "seed": self.seed,
            "at": self.at.isoformat(),
            "province": {"code": geo.PROVINCE_CODE, "name": geo.PROVINCE_NAME},
            "sites": sites,
            "rollup": _rollup(sites),
            "variants": {variant.version: self._variant(variant) for variant in VARIANTS},
        }

    def write_manifest(self, path: Path | str) -> None:
        Path(path).write_text(json.dumps(self.manifest(), ensure_ascii=False, indent=1), "utf-8")

    def _variant(self, variant: Variant) -> dict:
        """Ground truth under a province variant of the rules (the rule overlay whose `version` is
        variant.version): per site the {verdict, findings} its changed thresholds give."""
        sites = {}
        for site in self.sites:
            truth = self.expected(site, thresholds=variant.thresholds)
            sites[site.site_id] = {"verdict": truth["verdict"], "findings": truth["findings"]}
        return {"note": variant.note, "thresholds": variant.thresholds._asdict(), "sites": sites}

    def _site_manifest(self, site: SiteSpec) -> dict:
        origin = self.origin(site)
        return {
            "site_id": site.site_id,
            "name": site.name,
            "url": origin + "/",
            "region_code": site.region_code,
            "region_name": site.region_name,
            "kind": site.kind,
            "template": site.family,
            "charset": site.charset,
            "profile": site.profile,
            "home": {"nav_only": site.nav_only, "footer_site_code": site.footer_code},
            "availability": _availability(site),
            "columns": [_column_manifest(c, origin) for c in site.columns],
            "links": [
                {
                    "kind": link.kind,
                    "label": link.label,
                    "url": link.url(origin),
                    "on": origin + "/",
                    "expect": faults.LINK_EXPECT[link.kind],
                }
                for link in site.links
            ],
            "hostile": sorted({d.kind for d in site.defects if d.kind in HOSTILE_KINDS}),
            "defects": [
                {"kind": d.kind, "column": _column_name(site, d.column), "detail": d.detail}
                if d.column
                else {"kind": d.kind, "detail": d.detail}
                for d in site.defects
            ],
            "interaction": self._interaction(site, origin),
            "service": self._service(site, origin),
            "expected": self.expected(site),
            "expected_without_browser": self.expected(site, browser=False),
        }

    def _interaction(self, site: SiteSpec, origin: str) -> dict | None:
        """W-V5 ground truth: the channel, every letter of the judged 留言 lists (and, apart, of the
        excluded ones), and what limb 2 comes to for a crawler that renders script-built lists."""
        if site.functions is None:
            return None
        judged: list[dict] = []
        excluded: list[dict] = []
        for column in site.columns:
            if column.desk is None:
                continue
            letters = [
                {
                    "column": column.name,
                    "url": origin + article_path(site, column, item),
                    "asked": letter.asked.isoformat() if letter.asked else None,
                    "replied": letter.replied.isoformat() if letter.replied else None,
                    "answered": letter.answered,
                    "dated": letter.asked is not None,
                    "dates_on": None
                    if letter.asked is None
                    else ("detail" if column.desk == "detail" else "list"),
                    "planted": letter.planted,
                }
                for letter, item in zip(
                    column_letters(site, column, self.seed, self.at),
                    column_items(site, column, self.seed, self.at),
                    strict=True,
                )
            ]
            (judged if is_judged_desk(column) else excluded).extend(letters)
        return {
            "channel": any(is_channel(c) for c in site.columns),
            "lists": [
                {"column": c.name, "layout": c.desk} for c in site.columns if is_judged_desk(c)
            ],
            "excluded_lists": [
                {"column": c.name, "layout": c.desk}
                for c in site.columns
                if (c.desk or c.category == "互动" or any(w in c.name for w in CHANNEL_EXCLUDE))
                and not is_judged_desk(c)
            ],
            "messages": judged,
            "excluded_messages": excluded,
            "expected_limb2": reply_limb(site, self.at, True, self.seed),
            "expected_limb2_without_browser": reply_limb(site, self.at, False, self.seed),
        }

    def _service(self, site: SiteSpec, origin: str) -> dict | None:
        """W-V6 ground truth: the entry, and every 办事指南 with the element types it leaves out
        (limb 2 is an observation: its lines are [M], see spec.GUIDE_MISSING_LINE)."""
        if site.functions is None:
            return None
        entries = [c for c in site.columns if c.category == "办事服务"]
        guides = []
        for column in entries:
            missing = guide_missing(site, column, self.seed)
            items = column_items(site, column, self.seed, self.at) if missing else []
            guides += [
                {
                    "column": column.name,
                    "url": origin + article_path(site, column, item),
                    "title": item.title,
                    "missing": list(gaps),
                }
                for item, gaps in zip(items, missing, strict=True)
            ]
        failing = sum(len(g["missing"]) >= GUIDE_MISSING_LINE for g in guides)
        return {
            "entry": bool(entries),
            "columns": [c.name for c in entries],
            "guides": guides,
            "sampled": len(guides),
            "missing_5_or_more": failing,
            "observation": failing / len(guides) >= GUIDE_SHARE_LINE if guides else None,
        }


def _availability(site: SiteSpec) -> dict:
    """How the site answers: home up or its fault, flaky failure pattern, delays."""
    flaky = (
        {"fails_every": site.flaky_every, "failure_ratio": round(1 / site.flaky_every, 4)}
        if site.flaky_every
        else None
    )
    slow = {"home": site.slow_ms[0], "other": site.slow_ms[1]} if any(site.slow_ms) else None
    return {"home": site.home_fault or "up", "flaky": flaky, "slow_ms": slow}


def _column_manifest(column: ColumnSpec, origin: str) -> dict:
    reason = unmeasured_reason(column, browser=True)
    return {
        "name": column.name,
        "url": f"{origin}/{column.key}/",
        "category": column.category,
        "level": column.level,
        "parent": column.parent,
        "newest": column.newest.isoformat() if column.newest else None,
        "items": column.items,
        "blank": column.blank_form is not None,
        "blank_form": column.blank_form,
        "needs_browser": column.browser is not None,
        "how": column.browser,
        "undated": column.undated,
        "on_home": column.on_home,
        "fault": column.fault,
        "measured": reason is None,
        "measured_without_browser": unmeasured_reason(column, browser=False) is None,
        "unmeasured_reason": reason,
    }


def _column_name(site: SiteSpec, key: str) -> str:
    return next(c.name for c in site.columns if c.key == key)


def _rollup(sites: list[dict]) -> list[dict]:
    """Per region (标识码 region code): sites, 不合格 sites and 合格率 (% of the sites judged)."""
    regions: dict[str, dict] = {}
    for site in sites:
        row = regions.setdefault(
            site["region_code"],
            {"region_code": site["region_code"], "region_name": site["region_name"], "sites": 0,
             "problem_sites": 0, "unmeasured_sites": 0},
        )  # fmt: skip
        row["sites"] += 1
        verdict = site["expected"]["verdict"]
        row["problem_sites"] += verdict == FAIL
        row["unmeasured_sites"] += verdict not in (PASS, FAIL)
    for row in regions.values():
        judged = row["sites"] - row["unmeasured_sites"]
        passed = judged - row["problem_sites"]
        row["pass_rate"] = round(100 * passed / judged, 2) if judged else None
    return sorted(regions.values(), key=lambda r: r["region_code"])
