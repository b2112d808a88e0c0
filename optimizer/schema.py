"""Every input table and column: type, unit, bounds, default, meaning.

The validator, the reader and the README's instance-format section are all driven by this one
declaration (`python -m optimizer.schema` prints the Markdown). Volumes are thousand barrels per
calendar day (kb/d); prices US dollars per barrel.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

ID_PATTERN = r"[A-Za-z0-9_\-]+"
SCOPE_COLUMNS = ("origin", "crude_id", "operator", "refinery_id")


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "id", "text", "number", "integer", "choice"
    description: str
    required: bool = False
    default: float | str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    ref: tuple[str, str] | None = None  # (table, column) this id must exist in

    @property
    def unit(self) -> str:
        for suffix, unit in UNIT_SUFFIXES:
            if self.name.endswith(suffix):
                return unit
        return "-"


@dataclass(frozen=True)
class Table:
    name: str
    description: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    required: bool = False
    numeric_overrides: bool = True  # whether scenario paths may address its numbers

    def column(self, name: str) -> Column | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    @property
    def numeric_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.kind in ("number", "integer"))


UNIT_SUFFIXES = (
    ("_kbd", "kb/d (thousand barrels per calendar day)"),
    ("_usd_per_bbl", "US$/bbl"),
    ("_vol_frac", "volume fraction (0-1)"),
    ("_wt_pct", "weight %"),
    ("_mg_koh_per_g", "mg KOH/g"),
    ("_deg", "degrees API"),
    ("_t_per_day", "metric tonnes per day"),
    ("_pct", "% "),
    ("_frac", "fraction (0-1)"),
    ("_ratio", "ratio (volume/volume)"),
)


def _source() -> Column:
    return Column("source", "text", "Where the row's numbers come from (free text).")


def _scope(optional_note: str) -> tuple[Column, ...]:
    return (
        Column("origin", "text", f"Country of origin the row applies to; empty = any. {optional_note}"),
        Column("crude_id", "id", "Crude grade the row applies to; empty = any.", ref=("crudes", "crude_id")),
        Column("operator", "text", "Crude seller/operator the row applies to; empty = any."),
        Column(
            "refinery_id", "id", "Refinery the row applies to; empty = any.", ref=("refineries", "refinery_id")
        ),
    )


TABLES: tuple[Table, ...] = (
    Table(
        "refineries",
        "One row per refinery: crude-unit limits and crude-diet quality windows.",
        ("refinery_id",),
        (
            Column("refinery_id", "id", "Refinery identifier.", required=True),
            Column("name", "text", "Display name."),
            Column("operator", "text", "Owner/operator of the refinery."),
            Column("crude_capacity_kbd", "number", "Crude-unit capacity.", required=True, minimum=0),
            Column("crude_min_run_kbd", "number", "Minimum crude run.", default=0.0, minimum=0),
            Column(
                "crude_unit_cost_usd_per_bbl", "number", "Crude-unit operating cost per barrel run.", default=0.0,
                minimum=0,
            ),
            Column("api_min_deg", "number", "Lightest-allowed slate: minimum slate API (imposed as a maximum "
                   "volume-blended specific gravity)."),
            Column("api_max_deg", "number",
                   "Maximum slate API (imposed as a minimum volume-blended specific gravity)."),
            Column("sulfur_max_wt_pct", "number", "Maximum slate sulfur, mass-weighted.", minimum=0),
            Column("tan_max_mg_koh_per_g", "number", "Maximum slate total acid number, mass-weighted.", minimum=0),
            Column(
                "sulfur_plant_capacity_t_per_day", "number",
                "Sulfur recovery capacity (metric tonnes of sulfur per day); empty = not limiting.", minimum=0,
            ),
            Column(
                "sulfur_to_plant_frac", "number",
                "Share of crude sulfur that reaches the sulfur plant.", default=1.0, minimum=0, maximum=1,
            ),
            _source(),
        ),
        required=True,
    ),
    Table(
        "markers",
        "Marker crude prices (WTI, Brent, ...).",
        ("marker_id",),
        (
            Column("marker_id", "id", "Marker identifier.", required=True),
            Column("name", "text", "Display name."),
            Column("price_usd_per_bbl", "number", "Marker price.", required=True, minimum=0),
            _source(),
        ),
    ),
    Table(
        "crudes",
        "One row per crude grade. Price is either marker + differential or a flat price; delivered cost adds "
        "freight and tariffs.",
        ("crude_id",),
        (
            Column("crude_id", "id", "Crude grade identifier.", required=True),
            Column("name", "text", "Display name."),
            Column("origin", "text", "Country of origin (used by policy rules and reports).", required=True),
            Column("operator", "text", "Seller/operator (used by policy rules)."),
            Column("api_deg", "number", "Crude API gravity.", required=True, minimum=-10, maximum=100),
            Column("sulfur_wt_pct", "number", "Crude sulfur.", required=True, minimum=0, maximum=10),
            Column("tan_mg_koh_per_g", "number", "Total acid number; needed where a refinery limits TAN.", minimum=0),
            Column("marker_id", "id", "Marker the differential is quoted against.", ref=("markers", "marker_id")),
            Column("differential_usd_per_bbl", "number", "Price minus marker price (with marker_id)."),
            Column("price_usd_per_bbl", "number", "Flat price (instead of marker + differential).", minimum=0),
            Column("freight_usd_per_bbl", "number", "Freight to the refineries unless `freight` says otherwise.",
                   default=0.0, minimum=0),
            Column("availability_kbd", "number", "Most that can be bought, all refineries together; empty = no limit.",
                   minimum=0),
            _source(),
        ),
        required=True,
    ),
    Table(
        "crude_tiers",
        "Stepped supply curve: tranches of a crude at rising price adders (fill in order; adders must not fall).",
        ("crude_id", "tier"),
        (
            Column("crude_id", "id", "Crude grade.", required=True, ref=("crudes", "crude_id")),
            Column("tier", "integer", "Tranche number, 1 = cheapest.", required=True, minimum=1),
            Column("volume_kbd", "number", "Size of the tranche.", required=True, minimum=0),
            Column("price_adder_usd_per_bbl", "number", "Added to the crude's price for barrels of this tranche.",
                   required=True),
            _source(),
        ),
    ),
    Table(
        "streams",
        "Intermediate streams: crude-unit cuts and process-unit products. `loss` streams vanish (losses, fuel).",
        ("stream_id",),
        (
            Column("stream_id", "id", "Stream identifier.", required=True),
            Column("name", "text", "Display name."),
            Column("kind", "choice", "`intermediate` must be fully used; `loss` needs no consumer.",
                   default="intermediate", choices=("intermediate", "loss")),
            _source(),
        ),
        required=True,
    ),
    Table(
        "crude_yields",
        "Crude-unit yields: volume fraction of each crude that becomes each cut (sums to 1 per crude).",
        ("crude_id", "stream_id"),
        (
            Column("crude_id", "id", "Crude grade.", required=True, ref=("crudes", "crude_id")),
            Column("stream_id", "id", "Cut made.", required=True, ref=("streams", "stream_id")),
            Column("yield_vol_frac", "number", "Volume yield.", required=True, minimum=0, maximum=1),
            _source(),
        ),
        required=True,
    ),
    Table(
        "qualities",
        "Blend qualities (octane, vapour pressure, sulfur...). Blending is linear by volume.",
        ("quality_id",),
        (
            Column("quality_id", "id", "Quality identifier.", required=True),
            Column("name", "text", "Display name."),
            Column("unit", "text", "Unit of the quality's values."),
            _source(),
        ),
    ),
    Table(
        "stream_qualities",
        "Fixed quality of a stream, whatever crude it came from.",
        ("stream_id", "quality_id"),
        (
            Column("stream_id", "id", "Stream.", required=True, ref=("streams", "stream_id")),
            Column("quality_id", "id", "Quality.", required=True, ref=("qualities", "quality_id")),
            Column("value", "number", "Quality value, in the quality's unit.", required=True),
            _source(),
        ),
    ),
    Table(
        "cut_qualities",
        "Quality of a cut as it comes from one crude. A cut whose value differs between the crudes making it "
        "would need pooling: a blend spec on it is refused (segregate the cut by crude instead).",
        ("crude_id", "stream_id", "quality_id"),
        (
            Column("crude_id", "id", "Crude grade.", required=True, ref=("crudes", "crude_id")),
            Column("stream_id", "id", "Cut.", required=True, ref=("streams", "stream_id")),
            Column("quality_id", "id", "Quality.", required=True, ref=("qualities", "quality_id")),
            Column("value", "number", "Quality value, in the quality's unit.", required=True),
            _source(),
        ),
    ),
    Table(
        "units",
        "Process units per refinery (vacuum, coker, FCC, hydrocracker, reformer, hydrotreaters...).",
        ("refinery_id", "unit_id"),
        (
            Column("refinery_id", "id", "Refinery.", required=True, ref=("refineries", "refinery_id")),
            Column("unit_id", "id", "Unit identifier, unique within the refinery.", required=True),
            Column("unit_type", "id", "Technology; its yields are in `unit_yields`.", required=True),
            Column("capacity_kbd", "number", "Feed capacity.", required=True, minimum=0),
            Column("min_feed_kbd", "number", "Minimum feed.", default=0.0, minimum=0),
            Column("operating_cost_usd_per_bbl", "number", "Operating cost per barrel of feed.", default=0.0,
                   minimum=0),
            _source(),
        ),
    ),
    Table(
        "unit_yields",
        "Per-feed yields of each unit type. Per (unit_type, feed) the yields sum to between 1 and "
        "1 + the allowed volume gain; losses are explicit `loss` streams.",
        ("unit_type", "feed_stream_id", "product_stream_id"),
        (
            Column("unit_type", "id", "Technology.", required=True),
            Column("feed_stream_id", "id", "Feed stream.", required=True, ref=("streams", "stream_id")),
            Column("product_stream_id", "id", "Product stream.", required=True, ref=("streams", "stream_id")),
            Column("yield_vol_frac", "number", "Volume of product per volume of feed.", required=True, minimum=0),
            _source(),
        ),
    ),
    Table(
        "products",
        "Saleable products, with coast-wide (all refineries together) sales limits.",
        ("product_id",),
        (
            Column("product_id", "id", "Product identifier.", required=True),
            Column("name", "text", "Display name."),
            Column("price_usd_per_bbl", "number", "Sales price (net of selling cost).", required=True),
            Column("min_sales_kbd", "number", "Minimum sales, all refineries together.", default=0.0, minimum=0),
            Column("max_sales_kbd", "number", "Maximum sales, all refineries together; empty = no limit.", minimum=0),
            _source(),
        ),
        required=True,
    ),
    Table(
        "product_limits",
        "Per-refinery sales limits.",
        ("refinery_id", "product_id"),
        (
            Column("refinery_id", "id", "Refinery.", required=True, ref=("refineries", "refinery_id")),
            Column("product_id", "id", "Product.", required=True, ref=("products", "product_id")),
            Column("min_sales_kbd", "number", "Minimum sales at this refinery.", default=0.0, minimum=0),
            Column("max_sales_kbd", "number", "Maximum sales at this refinery; empty = no limit.", minimum=0),
            _source(),
        ),
    ),
    Table(
        "blend_components",
        "Which streams may go into which product. A product whose components all carry `recipe_vol_frac` is "
        "made in exactly those proportions.",
        ("product_id", "stream_id"),
        (
            Column("product_id", "id", "Product.", required=True, ref=("products", "product_id")),
            Column("stream_id", "id", "Component stream.", required=True, ref=("streams", "stream_id")),
            Column("recipe_vol_frac", "number", "Fixed share of the product (all components or none).",
                   minimum=0, maximum=1),
            _source(),
        ),
        required=True,
    ),
    Table(
        "blend_specs",
        "Quality limits of products, volume-weighted over the components.",
        ("product_id", "quality_id"),
        (
            Column("product_id", "id", "Product.", required=True, ref=("products", "product_id")),
            Column("quality_id", "id", "Quality.", required=True, ref=("qualities", "quality_id")),
            Column("min_value", "number", "Lowest allowed blend value."),
            Column("max_value", "number", "Highest allowed blend value."),
            _source(),
        ),
    ),
    Table(
        "product_ratios",
        "At each refinery: min_ratio <= sales(product) / sales(ref_product) <= max_ratio.",
        ("product_id", "ref_product_id"),
        (
            Column("product_id", "id", "Product on top of the ratio.", required=True, ref=("products", "product_id")),
            Column("ref_product_id", "id", "Product below the ratio.", required=True, ref=("products", "product_id")),
            Column("min_ratio", "number", "Lowest ratio.", minimum=0),
            Column("max_ratio", "number", "Highest ratio.", minimum=0),
            _source(),
        ),
    ),
    Table(
        "freight",
        "Freight of a crude to one refinery, replacing the crude's default freight.",
        ("crude_id", "refinery_id"),
        (
            Column("crude_id", "id", "Crude grade.", required=True, ref=("crudes", "crude_id")),
            Column("refinery_id", "id", "Refinery.", required=True, ref=("refineries", "refinery_id")),
            Column("freight_usd_per_bbl", "number", "Freight.", required=True, minimum=0),
            _source(),
        ),
    ),
    Table(
        "links",
        "Shared logistics: pipelines, docks, terminals, with capacities.",
        ("link_id",),
        (
            Column("link_id", "id", "Link identifier.", required=True),
            Column("name", "text", "Display name."),
            Column("capacity_kbd", "number", "Capacity shared by every delivery routed over it.", required=True,
                   minimum=0),
            _source(),
        ),
    ),
    Table(
        "routes",
        "Which deliveries (refinery, crude) use a link; empty scope columns match any.",
        ("route_id",),
        (
            Column("route_id", "id", "Route row identifier.", required=True),
            Column("link_id", "id", "Link used.", required=True, ref=("links", "link_id")),
            *_scope(""),
            _source(),
        ),
        numeric_overrides=False,
    ),
    Table(
        "policies",
        "Sanctions and trade rules. `ban` forbids matching deliveries; `cap`/`floor` bound their total "
        "(all matching refinery-crude pairs together); `tariff` adds to their delivered cost.",
        ("rule_id",),
        (
            Column("rule_id", "id", "Rule identifier.", required=True),
            Column("kind", "choice", "Rule kind.", required=True, choices=("ban", "cap", "floor", "tariff")),
            *_scope("All given scope columns must match."),
            Column("volume_kbd", "number", "Cap or floor volume (cap, floor).", minimum=0),
            Column("tariff_pct", "number", "Tariff in % of the crude's price before freight (tariff).", minimum=0),
            Column("tariff_usd_per_bbl", "number", "Tariff per barrel (tariff).", minimum=0),
            Column("description", "text", "What the rule is, in words."),
            _source(),
        ),
    ),
    Table(
        "stream_purchases",
        "Intermediate streams bought in (imported resid as coker feed, VGO as FCC feed): the stream enters the "
        "refinery's balance as if its own units had made it. `max_kbd` and `min_kbd` bound the total over the "
        "refineries the row covers.",
        ("purchase_id",),
        (
            Column("purchase_id", "id", "Purchase row identifier.", required=True),
            Column("stream_id", "id", "Stream bought (an intermediate stream).", required=True,
                   ref=("streams", "stream_id")),
            Column("refinery_id", "id", "Refinery that may buy; empty = any refinery with a use for the stream (a "
                   "unit that takes it, a product that blends it, a transfer that sends it on).",
                   ref=("refineries", "refinery_id")),
            Column("price_usd_per_bbl", "number", "Delivered price (at the refinery's gate).", required=True,
                   minimum=0),
            Column("min_kbd", "number", "Least that must be bought (a term contract), all covered refineries "
                   "together.", default=0.0, minimum=0),
            Column("max_kbd", "number", "Most that can be bought, all covered refineries together; empty = no "
                   "limit.", minimum=0),
            _source(),
        ),
    ),
    Table(
        "stream_transfers",
        "Intermediate streams passed from one refinery to another (residue to a sister plant's coker): the "
        "barrels leave the sender's balance and enter the receiver's at the transfer's cost, charged to the "
        "receiver; they carry no internal price.",
        ("transfer_id",),
        (
            Column("transfer_id", "id", "Transfer row identifier.", required=True),
            Column("stream_id", "id", "Stream moved (an intermediate stream).", required=True,
                   ref=("streams", "stream_id")),
            Column("from_refinery_id", "id", "Refinery that sends it.", required=True,
                   ref=("refineries", "refinery_id")),
            Column("to_refinery_id", "id", "Refinery that receives it.", required=True,
                   ref=("refineries", "refinery_id")),
            Column("cost_usd_per_bbl", "number", "Cost of moving a barrel (pipeline tariff, barge freight).",
                   default=0.0, minimum=0),
            Column("capacity_kbd", "number", "Most that can be moved; empty = no limit.", minimum=0),
            _source(),
        ),
    ),
)

TABLES_BY_NAME = {table.name: table for table in TABLES}


def default_text(column: Column) -> str:
    if column.required:
        return "required"
    if column.default is None:
        return "empty"
    if isinstance(column.default, float) and math.isfinite(column.default):
        return f"{column.default:g}"
    return str(column.default)


def bounds_text(column: Column) -> str:
    parts = []
    if column.minimum is not None:
        parts.append(f">= {column.minimum:g}")
    if column.maximum is not None:
        parts.append(f"<= {column.maximum:g}")
    if column.choices:
        parts.append("one of " + ", ".join(column.choices))
    if column.ref:
        parts.append(f"an id of {column.ref[0]}")
    return "; ".join(parts)


def markdown() -> str:
    """The instance-format reference, as it appears in the README."""
    lines = []
    for table in TABLES:
        need = "required" if table.required else "optional"
        lines.append(f"#### `{table.name}.csv` ({need}; key: {' / '.join(table.key)})")
        lines.append("")
        lines.append(table.description)
        lines.append("")
        lines.append("| column | type | unit | default | bounds | meaning |")
        lines.append("|---|---|---|---|---|---|")
        for c in table.columns:
            lines.append(
                f"| `{c.name}` | {c.kind} | {c.unit} | {default_text(c)} | {bounds_text(c)} | {c.description} |"
            )
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown())
