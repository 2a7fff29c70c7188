"""Declarative configuration: the OPD catalogues and how the pipeline runs
(config/pipeline.yaml), validated with pydantic when loaded.

One installation serves one OPD (`config/opd.yaml`, the shipped layout) or
several (`config/opd/<code>.yaml`, one catalogue per OPD: the kabupaten
layout). Indicator and bidang codes are unique within an OPD only.

A broken file fails with one message naming the file, the key and the fault,
so an operator can fix it without reading a traceback.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from iku.domain import budget as budget_model
from iku.domain.kinds import IndicatorKind
from iku.domain.places import Location, Where

OPD_FILE = "opd.yaml"
OPD_DIR = "opd"  # the kabupaten layout: one catalogue per OPD, named <code>.yaml
PIPELINE_FILE = "pipeline.yaml"


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line for the operator."""


def _not_yes_no(value: object) -> object:
    # YAML reads yes/no/true/false as booleans, which pydantic would take for 1 and 0
    if isinstance(value, bool):
        raise ValueError(f"harus angka, bukan {str(value).lower()} (ya/tidak)")
    return value


# Numbers of the configuration: never a YAML boolean, never .nan or .inf (the
# reports' JSON cannot hold them and every sum they touch would break).
Number = Annotated[float, BeforeValidator(_not_yes_no), Field(allow_inf_nan=False)]
Whole = Annotated[int, BeforeValidator(_not_yes_no)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Pengesahan(_Strict):
    """The sign-off block that ends every report (PDF): the head of the agency."""

    place: str  # e.g. Kuala Tungkal
    title: str  # e.g. Kepala Dinas Perumahan dan Kawasan Permukiman
    name: str
    rank: str = ""  # pangkat/golongan, e.g. Pembina Utama Muda (IV/c)
    nip: str = ""


class Opd(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str
    region: str
    renstra_period: tuple[Whole, Whole]
    pengesahan: Pengesahan | None = None
    # The Bupati (Wali Kota) of the region: pihak kedua of the Perjanjian Kinerja;
    # without it the document leaves a line for the name
    bupati: str | None = None
    # The OPD's planning team (Subbag Perencanaan): its alerts and recaps
    email: list[str] = []

    @field_validator("email")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        return [check_email(a) for a in addresses]

    @field_validator("renstra_period")
    @classmethod
    def _in_order(cls, period: tuple[int, int]) -> tuple[int, int]:
        if period[0] > period[1]:
            raise ValueError(f"tahun awal {period[0]} sesudah tahun akhir {period[1]}; tulis [awal, akhir]")
        return period

    @property
    def years(self) -> list[int]:
        return list(range(self.renstra_period[0], self.renstra_period[1] + 1))


# One address, nothing else: a line break would let a value inject e-mail headers.
_EMAIL = re.compile(r"^[^@\s<>,;\x00-\x1f\x7f]+@[^@\s<>,;\x00-\x1f\x7f]+\.[^@\s<>,;\x00-\x1f\x7f]+$")


def check_email(address: str) -> str:
    if not _EMAIL.match(address):
        raise ValueError(f"alamat e-mail {address!r} tidak valid (satu alamat, tanpa spasi atau baris baru)")
    return address


def targets_not_negative(targets: dict[int, float | None]) -> dict[int, float | None]:
    for year, value in targets.items():
        if value is not None and value < 0:
            shown = f"{value:g}".replace(".", ",")  # Indonesian decimal comma
            raise ValueError(f"target {year} negatif ({shown}); target tidak boleh kurang dari 0")
    return targets


# The inbox folder of an OPD's budget sheets (CONTRACT §11), beside its bidang
# folders: no bidang may bear the name, so a budget sheet is never a bidang's.
BUDGET_FOLDER = "anggaran"


class Bidang(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    name: str
    email: list[str] = []
    # Where staff put their monthly file, in words they know (e.g. "folder bersama
    # 'IKU Perumahan' di komputer Subbag Perencanaan"); the sheet template prints it.
    submission_hint: str | None = None

    @field_validator("code")
    @classmethod
    def _not_the_budget_folder(cls, code: str) -> str:
        if code == BUDGET_FOLDER:
            raise ValueError(
                f"kode bidang '{BUDGET_FOLDER}' dicadangkan untuk folder lembar realisasi anggaran OPD"
            )
        return code

    @field_validator("email")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        return [check_email(a) for a in addresses]


class Baseline(_Strict):
    value: Number | None = None
    text: str = "-"


class Standard(_Strict):
    """A national or provincial standard the LKjIP holds the year against (e.g. an SPM)."""

    value: Number
    source: str = Field(min_length=1)  # e.g. "SPM nasional"


QuarterPlan = tuple[Number | None, Number | None, Number | None, Number | None]


def plans_not_negative(plans: dict[int, QuarterPlan]) -> None:
    for year, plan in plans.items():
        if any(v is not None and v < 0 for v in plan):
            raise ValueError(f"rencana_aksi {year}: target triwulan tidak boleh negatif")


def quarter_target(plans: dict[int, QuarterPlan], year: int, quarter: int) -> float | None:
    """The Rencana Aksi target through the end of `quarter`; None when not set."""
    plan = plans.get(year)
    return None if plan is None else plan[quarter - 1]


class PlausibleRange(_Strict):
    """The range a month's figure is expected in; either end may be open."""

    min: Number | None = None
    max: Number | None = None

    @model_validator(mode="after")
    def _ordered(self) -> PlausibleRange:
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(
                f"plausible_range: min {_shown(self.min)} lebih besar dari max {_shown(self.max)}"
            )
        return self


class PkRevision(_Strict):
    """One signing of the Perjanjian Kinerja (PK awal, PK perubahan ...): its
    date, its label and the targets it states (CONTRACT §12)."""

    date: date
    label: str = Field(min_length=1)
    targets: dict[str, Number] = Field(min_length=1)

    @field_validator("targets")
    @classmethod
    def _not_negative(cls, targets: dict[str, float]) -> dict[str, float]:
        for code, value in targets.items():
            if value < 0:
                raise ValueError(f"target {code} negatif ({_shown(value)}); target tidak boleh kurang dari 0")
        return targets


def check_pk_years(pk: dict[int, list[PkRevision]]) -> dict[int, list[PkRevision]]:
    """Each year's revisions dated in that year, in date order, one per date:
    which revision was in force on a day must never be ambiguous."""
    for year, revisions in pk.items():
        for rev in revisions:
            if rev.date.year != year:
                raise ValueError(f"{year}: '{rev.label}' bertanggal {rev.date}, di luar tahun {year}")
        for before, after in pairwise(revisions):
            if after.date == before.date:
                raise ValueError(
                    f"{year}: '{before.label}' dan '{after.label}' bertanggal sama ({after.date}); "
                    "satu revisi per tanggal"
                )
            if after.date < before.date:
                raise ValueError(
                    f"{year}: '{after.label}' ({after.date}) ditulis sesudah '{before.label}' "
                    f"({before.date}); urutkan revisi menurut tanggal"
                )
    return pk


class Indicator(_Strict):
    code: str = Field(pattern=r"^IKU-\d{2,3}$")
    name: str
    tujuan: str
    sasaran: str
    unit: str
    bidang: str
    kind: IndicatorKind
    polarity: Literal["up", "down"]
    baseline: Baseline = Baseline()
    targets: dict[Whole, Number | None]
    formula: str = ""
    standard: Standard | None = None
    # The Rencana Aksi: per year, the targets through the end of TW I, II, III and
    # IV, cumulative in the indicator's own terms (count: the running sum; ratio
    # and level: the value expected at the quarter's end). null = not set.
    rencana_aksi: dict[Whole, QuarterPlan] = {}
    # Plausibility (CONTRACT §12): a month outside this range is "perlu dicek",
    # never refused. The range holds the month's realisasi (count, level) or
    # pembilang ÷ penyebut × 100 (ratio).
    plausible_range: PlausibleRange | None = None
    # A month without bukti dukung (evidence files) is flagged on the matrix and in the reminders.
    evidence_required: bool = False

    @field_validator("targets")
    @classmethod
    def _not_negative(cls, targets: dict[int, float | None]) -> dict[int, float | None]:
        return targets_not_negative(targets)

    def target(self, year: int) -> float | None:
        return self.targets.get(year)

    def quarter_target(self, year: int, quarter: int) -> float | None:
        return quarter_target(self.rencana_aksi, year, quarter)

    @model_validator(mode="after")
    def _plan(self) -> Indicator:
        plans_not_negative(self.rencana_aksi)
        for year, plan in self.rencana_aksi.items():
            given = [v for v in plan if v is not None]
            if self.kind == "count" and given != sorted(given):
                raise ValueError(
                    f"rencana_aksi {year}: target indikator jumlah (count) bersifat kumulatif dan tidak boleh turun ({list(plan)})"
                )
        return self


# -- programs, kegiatan and sub kegiatan (CONTRACT §11) --------------------------

Code = Annotated[str, BeforeValidator(lambda v: str(v).strip() if isinstance(v, str) else v)]


def _budget_years(value: dict[int, Any], key: str) -> dict[int, Any]:
    for year, figures in value.items():
        if not 1900 <= year <= 2200:
            raise ValueError(f"{key}: {year} bukan tahun")
        numbers = figures if isinstance(figures, tuple) else (figures,)
        if any(v is not None and v < 0 for v in numbers):
            raise ValueError(f"{key} {year}: rupiah tidak boleh negatif")
    return value


class _Budgeted(_Strict):
    code: Code
    name: str = Field(min_length=1)
    # Anggaran kas: per year the rupiah planned to be spent through the end of
    # TW I, II, III and IV, cumulative (like rencana_aksi); null where not set.
    anggaran_kas: dict[Whole, QuarterPlan] = {}
    pagu_renstra: dict[Whole, Number] = {}  # the Renstra's pagu per year (Tabel E.81 column 6)

    @field_validator("anggaran_kas")
    @classmethod
    def _plan_rising(cls, plans: dict[int, QuarterPlan]) -> dict[int, QuarterPlan]:
        _budget_years(plans, "anggaran_kas")
        for year, plan in plans.items():
            given = [v for v in plan if v is not None]
            if given != sorted(given):
                raise ValueError(f"anggaran_kas {year}: rencana kumulatif per triwulan tidak boleh turun")
        return plans

    @field_validator("pagu_renstra")
    @classmethod
    def _pagu_years(cls, pagu: dict[int, float]) -> dict[int, float]:
        return _budget_years(pagu, "pagu_renstra")


class SubKegiatanEntry(_Strict):
    code: Code
    name: str = Field(min_length=1)


class KegiatanEntry(_Budgeted):
    indicators: list[str] = []  # empty: every IKU of its program
    sub_kegiatan: list[SubKegiatanEntry] = []


class ProgramEntry(_Budgeted):
    indicators: list[str] = []  # the IKU this program supports
    kegiatan: list[KegiatanEntry] = []

    def domain(self) -> budget_model.Program:
        return budget_model.Program(
            code=self.code,
            name=self.name,
            indicators=tuple(self.indicators),
            kegiatan=tuple(
                budget_model.Kegiatan(
                    code=k.code,
                    name=k.name,
                    sub_kegiatan=tuple(budget_model.SubKegiatan(s.code, s.name) for s in k.sub_kegiatan),
                    indicators=tuple(k.indicators),
                    anggaran_kas=k.anggaran_kas or None,
                    pagu_renstra=k.pagu_renstra or None,
                )
                for k in self.kegiatan
            ),
            anggaran_kas=self.anggaran_kas or None,
            pagu_renstra=self.pagu_renstra or None,
        )


class Catalogue(_Strict):
    """The OPD, its bidang and its IKU, as config/opd.yaml states them."""

    opd: Opd
    bidang: list[Bidang]
    indicators: list[Indicator]
    # A source folder other than the default, per bidang of this OPD
    sources: dict[str, Location] = {}  # plain paths or fsspec URLs (iku.storage)
    # Optional: the programs, kegiatan and sub kegiatan below the IKU (CONTRACT §11)
    programs: list[ProgramEntry] = []

    @field_validator("programs")
    @classmethod
    def _cascade(cls, programs: list[ProgramEntry], info: ValidationInfo) -> list[ProgramEntry]:
        indicators = info.data.get("indicators")
        if indicators is None:  # the indicators have their own error
            return programs
        problems = budget_model.catalogue_problems(
            [p.domain() for p in programs], [i.code for i in indicators]
        )
        if problems:
            raise ValueError(problems[0])
        return programs

    @cached_property
    def budget_programs(self) -> tuple[budget_model.Program, ...]:
        """The programs as the budget computations take them (empty without `programs:`)."""
        return tuple(p.domain() for p in self.programs)

    # The Perjanjian Kinerja per year, its revisions in date order (CONTRACT §12)
    perjanjian_kinerja: dict[Whole, list[PkRevision]] = {}

    @field_validator("perjanjian_kinerja")
    @classmethod
    def _pk_in_order(cls, pk: dict[int, list[PkRevision]]) -> dict[int, list[PkRevision]]:
        return check_pk_years(pk)

    @model_validator(mode="after")
    def _pk_known(self) -> Catalogue:
        for year, revisions in self.perjanjian_kinerja.items():
            if year not in self.opd.years:
                raise ValueError(f"perjanjian_kinerja: tahun {year} di luar periode Renstra")
            for rev in revisions:
                unknown = sorted(set(rev.targets) - {i.code for i in self.indicators})
                if unknown:
                    raise ValueError(
                        f"perjanjian_kinerja {year} '{rev.label}': indikator tidak dikenal {', '.join(unknown)}"
                    )
        return self

    @model_validator(mode="after")
    def _consistent(self) -> Catalogue:
        codes = [b.code for b in self.bidang]
        if len(set(codes)) != len(codes):
            raise ValueError(f"kode bidang ditulis lebih dari sekali: {codes}")
        icodes = [i.code for i in self.indicators]
        if len(set(icodes)) != len(icodes):
            raise ValueError(f"kode indikator ditulis lebih dari sekali: {icodes}")
        for ind in self.indicators:
            if ind.bidang not in codes:
                raise ValueError(f"{ind.code}: bidang '{ind.bidang}' bukan salah satu dari {codes}")
            for year in list(ind.targets) + list(ind.rencana_aksi):
                if year not in self.opd.years:
                    raise ValueError(f"{ind.code}: tahun target {year} di luar periode Renstra")
        unknown = set(self.sources) - set(codes) - {BUDGET_FOLDER}
        if unknown:
            raise ValueError(f"sources: bidang tidak dikenal {sorted(unknown)}")
        return self

    @model_validator(mode="after")
    def _budget_years_in_renstra(self) -> Catalogue:
        entries: list[_Budgeted] = [e for p in self.programs for e in (p, *p.kegiatan)]
        for entry in entries:
            for year in [*entry.anggaran_kas, *entry.pagu_renstra]:
                if year not in self.opd.years:
                    raise ValueError(f"programs: {entry.code}: tahun anggaran {year} di luar periode Renstra")
        return self

    def indicator(self, code: str) -> Indicator:
        return self.indicators_by_code[code]

    @cached_property
    def indicators_by_code(self) -> dict[str, Indicator]:
        return {i.code: i for i in self.indicators}

    def bidang_by_code(self, code: str) -> Bidang:
        return {b.code: b for b in self.bidang}[code]

    def indicators_of(self, bidang: str) -> list[Indicator]:
        return [i for i in self.indicators if i.bidang == bidang]


class Limits(_Strict):
    max_file_bytes: Whole = Field(5_000_000, gt=0)
    max_rows: Whole = Field(500, gt=0)
    max_uncompressed_bytes: Whole = Field(50_000_000, gt=0)
    max_compression_ratio: Number = Field(200, gt=1)
    # Largest realisasi, pembilang or penyebut accepted; a larger one is a row
    # problem (a typo, or 1e300 that would break every sum in the reports).
    max_value: Number = Field(1_000_000_000_000, gt=0)
    # characters of one free-text cell (keterangan, faktor ...): longer is a problem of its row
    max_text_chars: Whole = Field(2_000, gt=0)


class PredicateBand(_Strict):
    min: Number | None
    label: str


class Schedules(_Strict):
    """When the unattended runs happen (`iku serve`), local time in `timezone`.

    Only the daily consolidation is a free cron; every other schedule derives its
    day from `deadline_day` (iku.domain.schedule), so moving the deadline moves
    the reminders, the missing check and the reports with it."""

    consolidate: str = "0 7 * * *"
    reminder_days_before: list[Whole] = [3, 1]
    reminder_time: str = Field("08:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    check_missing_days_after: Whole = Field(1, ge=1, le=27)
    check_missing_time: str = Field("07:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    quarterly_report_time: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    annual_report_time: str = Field("10:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    lakip_time: str = Field("11:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")

    @field_validator("consolidate")
    @classmethod
    def _five_fields(cls, value: str) -> str:
        if len(value.split()) != 5:
            raise ValueError(f"'{value}' bukan ekspresi cron lima kolom (mis. '0 7 * * *')")
        return value

    @field_validator("reminder_days_before")
    @classmethod
    def _positive_days(cls, days: list[int]) -> list[int]:
        if any(d < 1 for d in days) or len(set(days)) != len(days):
            raise ValueError("hari sebelum tenggat harus bilangan bulat >= 1, masing-masing sekali")
        return sorted(days, reverse=True)


class AlertPolicy(_Strict):
    """Delivery of alerts: one first attempt, then up to `retry_attempts` retries,
    waiting retry_backoff_seconds[i] before retry i (the last value repeats)."""

    retry_attempts: Whole = Field(3, ge=0)
    retry_backoff_seconds: list[Number] = Field([1, 4, 15], min_length=1)
    timeout_seconds: Number = Field(20, gt=0)
    # All delivery of one run together, back-off included: a server that accepts
    # and never answers cannot hold a run; what is left waits for the next run.
    max_total_seconds: Number = Field(90, gt=0)
    # The outbox looks this far back for invalid files without their alert (a
    # run killed before alerting), so enabling e-mail later does not mail history.
    catch_up_days: Whole = Field(31, ge=1)


class Reports(_Strict):
    """How the report files are laid out."""

    # Tabel E.81's paper, landscape: f4 (folio 215 x 330 mm, as Indonesian offices
    # print such tables) or a3
    e81_paper: Literal["f4", "a3"] = "f4"


class Kabupaten(_Strict):
    """The installation's own header and the address the recap of every OPD goes to."""

    # The installation's tag on its Prefect deployments (with several OPD; bawaan: kabupaten)
    code: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9-]*$")
    name: str | None = None  # e.g. Pemerintah Kabupaten Tanjung Jabung Barat; bawaan: region of the OPD
    email: list[str] = []  # e.g. Bappeda, Bagian Organisasi: the recap of every OPD

    @field_validator("email")
    @classmethod
    def _addresses(cls, addresses: list[str]) -> list[str]:
        return [check_email(a) for a in addresses]


RPJMD_FILE = "rpjmd.yaml"  # the kabupaten's own IKU (optional)


class RpjmdIndicator(_Strict):
    """One IKU of the kabupaten itself (the Bupati's, from the RPJMD), fed by OPD
    indicators: `sum` (or `mean`) of the listed ones, or the `value` of one.
    Each source is written `<kode OPD>/<kode indikator>`."""

    code: str = Field(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")  # e.g. IKD-01
    name: str = Field(min_length=1)
    unit: str
    polarity: Literal["up", "down"]
    targets: dict[Whole, Number | None] = {}
    rule: Literal["sum", "mean", "value"]
    sources: list[str] = Field(min_length=1)
    weights: list[Number] | None = None  # `mean` only: one positive weight per source, in order
    note: str = ""  # e.g. the RPJMD's formula text
    # the kabupaten's Rencana Aksi: per year, the targets through the end of TW I-IV,
    # in the IKU's own terms (as the OPD catalogues'); null = not set
    rencana_aksi: dict[Whole, QuarterPlan] = {}

    @field_validator("targets")
    @classmethod
    def _not_negative(cls, targets: dict[int, float | None]) -> dict[int, float | None]:
        return targets_not_negative(targets)

    @field_validator("sources")
    @classmethod
    def _written_right(cls, sources: list[str]) -> list[str]:
        for source in sources:
            if not re.match(r"^[a-z0-9][a-z0-9-]*/IKU-\d{2,3}$", source):
                raise ValueError(
                    f"sumber {source!r} harus ditulis <kode OPD>/<kode indikator>, mis. disperkim-tjb/IKU-02"
                )
        if len(set(sources)) != len(sources):
            raise ValueError(f"sumber ditulis lebih dari sekali: {sources}")
        return sources

    @model_validator(mode="after")
    def _one_for_value(self) -> RpjmdIndicator:
        if self.rule == "value" and len(self.sources) != 1:
            raise ValueError(f"rule value mengambil nilai satu indikator OPD, bukan {len(self.sources)}")
        return self

    @model_validator(mode="after")
    def _weights_fit(self) -> RpjmdIndicator:
        if self.weights is None:
            return self
        if self.rule != "mean":
            raise ValueError(f"weights (bobot) hanya untuk rule mean, bukan {self.rule}")
        if len(self.weights) != len(self.sources):
            raise ValueError(
                f"weights berisi {len(self.weights)} bobot untuk {len(self.sources)} sumber; satu bobot per sumber"
            )
        if not all(w > 0 for w in self.weights):
            raise ValueError(f"setiap bobot harus lebih besar dari 0: {self.weights}")
        return self

    def weight(self, index: int) -> float:
        return self.weights[index] if self.weights else 1.0

    def target(self, year: int) -> float | None:
        return self.targets.get(year)

    def quarter_target(self, year: int, quarter: int) -> float | None:
        return quarter_target(self.rencana_aksi, year, quarter)

    @model_validator(mode="after")
    def _plan(self) -> RpjmdIndicator:
        plans_not_negative(self.rencana_aksi)
        return self

    def feeds(self) -> list[tuple[str, str]]:
        """The (OPD code, indicator code) pairs it is computed from."""
        return [(opd, code) for opd, _, code in (s.partition("/") for s in self.sources)]


class Rpjmd(_Strict):
    """config/rpjmd.yaml: the kabupaten's own IKU, shown by the recap."""

    indicators: list[RpjmdIndicator] = []

    @field_validator("indicators")
    @classmethod
    def _unique(cls, indicators: list[RpjmdIndicator]) -> list[RpjmdIndicator]:
        codes = [i.code for i in indicators]
        if len(set(codes)) != len(codes):
            raise ValueError(f"kode IKU kabupaten berulang: {codes}")
        return indicators

    def check_sources(self, catalogues: dict[str, Catalogue]) -> None:
        """Every source names an OPD of the installation and one of its indicators;
        a ratio is never summed (ratios are not added, CONTRACT §4); the sources of a
        sum or mean share one unit (hectares added to houses mean nothing)."""
        for ind in self.indicators:
            units: dict[str, str] = {}
            for opd, code in ind.feeds():
                if opd not in catalogues:
                    raise ValueError(
                        f"{ind.code}: OPD '{opd}' tidak dikenal; yang ada: {', '.join(catalogues)}"
                    )
                found = catalogues[opd].indicators_by_code.get(code)
                if found is None:
                    raise ValueError(f"{ind.code}: OPD '{opd}' tidak mempunyai indikator {code}")
                if ind.rule == "sum" and found.kind == "ratio":
                    raise ValueError(
                        f"{ind.code}: {opd}/{code} berupa rasio dan tidak dapat dijumlahkan "
                        "(pakai rule mean atau value)"
                    )
                units.setdefault(" ".join(found.unit.casefold().split()), f"{opd}/{code} ({found.unit})")
            if len(units) > 1:
                raise ValueError(
                    f"{ind.code}: sumber yang {'dijumlahkan' if ind.rule == 'sum' else 'dirata-rata'} "
                    f"bersatuan berbeda: {', '.join(units.values())}"
                )


class Pipeline(_Strict):
    timezone: str = "Asia/Jakarta"
    deadline_day: Whole = Field(10, ge=1, le=28)
    limits: Limits = Limits()
    predicates: list[PredicateBand]
    at_risk_below_pct: Number = 76
    sources: dict[str, Location] = {}  # plain paths or fsspec URLs (iku.storage)
    gx_data_docs: bool = True
    load_batch_files: Whole = Field(500, ge=1)  # files per warehouse transaction
    schedules: Schedules = Schedules()
    alerts: AlertPolicy = AlertPolicy()
    kabupaten: Kabupaten = Kabupaten()
    reports: Reports = Reports()
    # Like DHIS2's expiry days: a quarter closes by itself this many days after
    # its end (a later file is recorded, never current) until it is unlocked.
    lock_after_days: Whole | None = Field(None, ge=1)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"zona waktu '{value}' tidak dikenal (contoh: Asia/Jakarta)") from None
        return value

    @field_validator("predicates")
    @classmethod
    def _descending(cls, bands: list[PredicateBand]) -> list[PredicateBand]:
        mins = [b.min for b in bands]
        if not bands or mins[-1] is not None or any(m is None for m in mins[:-1]):
            raise ValueError("pita terakhir, dan hanya yang terakhir, harus ber-min: null")
        bounded = [m for m in mins[:-1] if m is not None]
        if bounded != sorted(bounded, reverse=True):
            raise ValueError("pita predikat harus diurutkan dari min tertinggi ke terendah")
        return bands


class Config(BaseModel):
    """One OPD's catalogue with the installation's pipeline settings."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    catalogue: Catalogue
    pipeline: Pipeline
    directory: Path
    multi: bool = False  # one of several OPD (config/opd/<code>.yaml)

    def source_dir(self, bidang: str, inbox_dir: Where) -> Where:
        """The folder a bidang's sheets arrive in: `sources:` in its OPD's catalogue
        (or, with one OPD, in pipeline.yaml), else <inbox>/<bidang> with one OPD and
        <inbox>/<opd>/<bidang> in the kabupaten layout. The one home of this rule
        (scan, template, portal)."""
        configured = self.catalogue.sources.get(bidang) or self.pipeline.sources.get(bidang)
        if configured:
            return configured
        if self.multi:
            return inbox_dir / self.catalogue.opd.code / bidang
        return inbox_dir / bidang

    def budget_dir(self, inbox_dir: Where) -> Where:
        """The folder the OPD's budget sheets arrive in (CONTRACT §11): <inbox>/anggaran,
        <inbox>/<opd>/anggaran in the kabupaten layout, or `sources: {anggaran: ...}`."""
        return self.source_dir(BUDGET_FOLDER, inbox_dir)


class UnknownOpd(ValueError):
    """An OPD code the installation does not have (a bad argument)."""


class Installation(BaseModel):
    """Every OPD of the installation, in code order, and the shared pipeline."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    catalogues: dict[str, Catalogue]
    pipeline: Pipeline
    directory: Path
    multi: bool  # the kabupaten layout (config/opd/<code>.yaml): sources under <inbox>/<opd>/
    rpjmd: Rpjmd = Rpjmd()  # the kabupaten's own IKU (config/rpjmd.yaml), none when absent

    @property
    def codes(self) -> list[str]:
        return list(self.catalogues)

    def check(self, code: str) -> str:
        if code not in self.catalogues:
            raise UnknownOpd(f"OPD '{code}' tidak dikenal; yang ada: {', '.join(self.codes)}")
        return code

    def config(self, code: str | None = None) -> Config:
        """The Config of one OPD (the first when none is named)."""
        code = self.check(code) if code is not None else self.codes[0]
        return Config(
            catalogue=self.catalogues[code],
            pipeline=self.pipeline,
            directory=self.directory,
            multi=self.multi,
        )

    def configs(self, code: str | None = None) -> list[Config]:
        """One OPD's Config, or every OPD's when none is named."""
        return [self.config(c) for c in ([self.check(code)] if code else self.codes)]


# libyaml's parser where built (as in the wheels PyPI serves): 40 OPD catalogues
# parse in 0.05 s instead of about 0.4 s
_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeLoader):  # type: ignore[valid-type,misc]
    """safe_load, except that a key given twice in one mapping is an error:
    plain YAML keeps the last one silently, hiding a typo'd target or limit."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[object] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:  # an unhashable key: the constructor reports it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"kunci '{key}' ditulis dua kali", key_node.start_mark
                )
            seen.add(key)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep)
        return mapping

    def construct_calendar_date(self, node: yaml.ScalarNode) -> object:
        # PyYAML raises a bare ValueError (a traceback) for 2023-02-30
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            raise yaml.constructor.ConstructorError(
                None, None, f"tanggal '{node.value}' tidak ada di kalender", node.start_mark
            ) from None


_UniqueKeyLoader.add_constructor("tag:yaml.org,2002:timestamp", _UniqueKeyLoader.construct_calendar_date)


def _load_yaml(path: Path) -> dict[str, Any]:
    try:
        with path.open(encoding="utf-8") as fh:
            data = yaml.load(fh, Loader=_UniqueKeyLoader)
    except FileNotFoundError:
        raise ConfigError(f"{path}: berkas tidak ditemukan") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: tidak dapat dibaca ({exc})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" baris {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: YAML tidak valid ({getattr(exc, 'problem', exc)})") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: tingkat teratas harus berupa mapping (kunci: nilai)")
    return data


# pydantic's own messages are English: each error type a configuration file or
# an IKU_* variable can produce, in Indonesian (the one place). {input} is the
# value as written; the other names come from pydantic's error context.
PYDANTIC_MESSAGES: dict[str, str] = {
    "missing": "wajib diisi",
    "extra_forbidden": "kunci tidak dikenal (periksa ejaannya)",
    "string_type": "harus berupa teks",
    "string_pattern_mismatch": "{input} tidak sesuai pola {pattern}",
    "string_too_short": "terlalu pendek (paling sedikit {min_length} karakter)",
    "string_too_long": "terlalu panjang (paling banyak {max_length} karakter)",
    "int_type": "harus bilangan bulat, bukan {input}",
    "int_parsing": "harus bilangan bulat, bukan {input}",
    "int_from_float": "harus bilangan bulat, bukan pecahan {input}",
    "float_type": "harus angka, bukan {input}",
    "float_parsing": "harus angka, bukan {input}",
    "finite_number": "harus angka terhingga, bukan {input}",
    "bool_type": "harus true atau false, bukan {input}",
    "bool_parsing": "harus true atau false, bukan {input}",
    "list_type": "harus berupa daftar (- nilai per baris)",
    "tuple_type": "harus berupa daftar",
    "set_type": "harus berupa daftar",
    "dict_type": "harus berupa mapping (kunci: nilai)",
    "model_type": "harus berupa mapping (kunci: nilai)",
    "model_attributes_type": "harus berupa mapping (kunci: nilai)",
    "too_short": "terlalu sedikit isian (paling sedikit {min_length})",
    "too_long": "terlalu banyak isian (paling banyak {max_length})",
    "greater_than": "harus lebih besar dari {gt}",
    "greater_than_equal": "tidak boleh kurang dari {ge}",
    "less_than": "harus lebih kecil dari {lt}",
    "less_than_equal": "tidak boleh lebih dari {le}",
    "literal_error": "harus salah satu dari {expected}, bukan {input}",
    "enum": "harus salah satu dari {expected}, bukan {input}",
    "date_type": "harus tanggal (YYYY-MM-DD)",
    "date_parsing": "harus tanggal (YYYY-MM-DD), bukan {input}",
    "date_from_datetime_parsing": "harus tanggal (YYYY-MM-DD), bukan {input}",
    "datetime_type": "harus tanggal dan jam",
    "datetime_parsing": "harus tanggal dan jam, bukan {input}",
    "time_type": "harus jam (HH:MM)",
    "time_parsing": "harus jam (HH:MM), bukan {input}",
    "url_type": "harus URL",
    "url_parsing": "bukan URL yang valid: {input}",
    "url_scheme": "skema URL harus {expected_schemes}",
    "path_type": "harus jalur berkas atau folder",
    "none_required": "harus kosong (null)",
    "json_invalid": "bukan JSON yang valid",
}
_OWN_MESSAGE = ("value_error", "assertion_error")  # our validators' messages are Indonesian already


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")  # Indonesian decimal comma
    if isinstance(value, (int, str)):
        text = str(value) if isinstance(value, int) else f"'{value}'"
        return text if len(text) <= 60 else text[:57] + "..."
    return type(value).__name__


def error_text(err: Mapping[str, Any]) -> str:
    """One pydantic error, in Indonesian."""
    kind = err.get("type", "")
    if kind in _OWN_MESSAGE:
        return str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    template = PYDANTIC_MESSAGES.get(kind)
    if template is None:
        return f"nilai tidak valid ({kind})"
    ctx = {
        k: str(v).replace(" or ", " atau ") if isinstance(v, str) else _shown(v)
        for k, v in (err.get("ctx") or {}).items()
    }
    return template.format_map(_Context({**ctx, "input": _shown(err.get("input"))}))


class _Context(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "?"


def _first_error(path: Path, exc: ValidationError) -> ConfigError:
    err = exc.errors()[0]
    key = ".".join(str(p) for p in err["loc"]) or "(tingkat teratas)"
    more = f" (dan {exc.error_count() - 1} kesalahan lain)" if exc.error_count() > 1 else ""
    return ConfigError(f"{path}: {key}: {error_text(err)}{more}")


def _catalogue(path: Path) -> Catalogue:
    try:
        return Catalogue.model_validate(_load_yaml(path))
    except ValidationError as exc:
        raise _first_error(path, exc) from None


def catalogue_files(directory: Path) -> list[Path]:
    """The catalogue files of the kabupaten layout, empty in the single-OPD one."""
    folder = directory / OPD_DIR
    return sorted(folder.glob("*.yaml")) if folder.is_dir() else []


_Stamp = tuple[object, ...]
_loaded: dict[_Stamp, Installation] = {}  # by _stamp: read again only when a file changed


def load_installation(directory: Path | str) -> Installation:
    """The configuration folder read and checked; a command asks for it several
    times (its checks, then its run), so the result is kept while no file of it
    changes (the models are frozen)."""
    directory = Path(directory)
    stamp = _stamp(directory)
    found = _loaded.get(stamp)
    if found is None:
        found = _read_installation(directory)
        if len(_loaded) >= 8:
            _loaded.clear()
        _loaded[stamp] = found
    return found


def _stamp(directory: Path) -> _Stamp:
    """Every file the configuration is read from, with its size and modification time."""
    stamps: list[_Stamp] = []
    for path in (
        directory / PIPELINE_FILE,
        directory / OPD_FILE,
        directory / RPJMD_FILE,
        *catalogue_files(directory),
    ):
        try:
            st = path.stat()
        except OSError:
            stamps.append((path.name, None))
        else:
            stamps.append((path.name, st.st_mtime_ns, st.st_size, st.st_ino))
    return (str(directory.absolute()), *stamps)


def _read_installation(directory: Path) -> Installation:
    pipe_path = directory / PIPELINE_FILE
    files = catalogue_files(directory)
    if files and (directory / OPD_FILE).exists():
        raise ConfigError(
            f"{directory}: {OPD_FILE} dan folder {OPD_DIR}/ ada bersamaan; pakai salah satu "
            f"(satu OPD: {OPD_FILE}; beberapa OPD: {OPD_DIR}/<kode>.yaml)"
        )
    catalogues: dict[str, Catalogue] = {}
    for path in files or [directory / OPD_FILE]:
        cat = _catalogue(path)
        if files and cat.opd.code != path.stem:
            raise ConfigError(
                f"{path}: opd.code '{cat.opd.code}' harus sama dengan nama berkas '{path.stem}'"
            )
        catalogues[cat.opd.code] = cat
    try:
        pipeline = Pipeline.model_validate(_load_yaml(pipe_path))
    except ValidationError as exc:
        raise _first_error(pipe_path, exc) from None
    if pipeline.sources:
        if files:
            raise ConfigError(
                f"{pipe_path}: sources: dengan beberapa OPD, tulis folder sumber di katalog OPD-nya "
                f"({OPD_DIR}/<kode>.yaml, kunci sources)"
            )
        unknown = set(pipeline.sources) - {b.code for b in next(iter(catalogues.values())).bidang}
        if unknown:
            raise ConfigError(f"{pipe_path}: sources: bidang tidak dikenal {sorted(unknown)}")
    return Installation(
        catalogues=catalogues,
        pipeline=pipeline,
        directory=directory,
        multi=bool(files),
        rpjmd=_rpjmd(directory / RPJMD_FILE, catalogues),
    )


def _rpjmd(path: Path, catalogues: dict[str, Catalogue]) -> Rpjmd:
    """config/rpjmd.yaml when there is one, its sources checked against the OPD catalogues."""
    if not path.exists():
        return Rpjmd()
    try:
        rpjmd = Rpjmd.model_validate(_load_yaml(path))
    except ValidationError as exc:
        raise _first_error(path, exc) from None
    try:
        rpjmd.check_sources(catalogues)
    except ValueError as exc:
        raise ConfigError(f"{path}: indicators: {exc}") from None
    return rpjmd


def load_config(directory: Path | str, opd: str | None = None) -> Config:
    """One OPD's configuration: `opd`, or the first (in the single-OPD layout, the only) one."""
    return load_installation(directory).config(opd)
