#!/usr/bin/env python3
"""Build the gulf_coast_2026 instance from the public data copied into build/data/.

Usage (from the repository root):

    .venv/bin/python instances/gulf_coast_2026/build/build_instance.py [--data DIR] [--out DIR]

It reads the CSV files documented in <data>/SOURCES.md (default: build/data/, the copy of the shared
public data folder that this instance uses, with its SOURCES.md) and writes every CSV table of the
instance plus instance.toml into <out> (default: the instance directory). Nothing else is written.
The output is deterministic: the same data gives byte-identical files. The generated files and the
data they come from are committed, so the project stands alone.

Every number that is not read from a data file is a named constant below with a comment giving its
basis; the `source` column of each generated row says `S:` (read in a data file: file and row),
`E:` (an estimate: the constant's name) or `S+E:` (a sourced number transformed by an estimate,
e.g. a stream-day capacity times the calendar-day factor).

`--provenance` prints nothing but a per-table summary of S/E rows (for the README).
"""

from __future__ import annotations

import argparse
import csv
import io
import math
import re
import sys
from collections import OrderedDict
from pathlib import Path

import pandas as pd

HERE = Path(__file__).resolve().parent
INSTANCE_DIR = HERE.parent
REPO = INSTANCE_DIR.parent.parent

# ------------------------------------------------------------------------------------------------
# Conventions and conversion constants
# ------------------------------------------------------------------------------------------------

# EIA capacities are barrels per stream day; the instance is calendar day. SOURCES.md ("calendar-day
# capacity is about 6% lower (EIA)") gives the factor. Used for every unit capacity and for crude
# capacities that have no sourced calendar-day figure.
CALENDAR_PER_STREAM_DAY = 0.94

GAL_PER_BBL = 42.0
M3_PER_BBL = 0.158987  # process/unit_conversions.csv row "barrel"
T_PER_SHORT_TON = 0.907185  # process/unit_conversions.csv row "short ton"

# Petroleum coke is a solid; its stream is counted in barrels at EIA's reporting convention of
# 5.0 barrels per short ton (EIA Petroleum Supply Annual conversion for petroleum coke; NOT in the
# shared data - an E value). 1 bbl of coke stream = 0.181 t; a $/t price becomes $/bbl by
# x 0.907185 / 5.0.
COKE_BBL_PER_SHORT_TON = 5.0

# Asphalt: product_and_byproduct_prices_sourced.csv row "Asphalt cement PG 64-22" note gives
# "~5.5 bbl per short ton".
ASPHALT_BBL_PER_SHORT_TON = 5.5

# Densities used to turn the coker correlation (wt %) into volumes: process/unit_yields.csv coker
# rows ("SG naphtha 0.771 (52 API), CGO 0.934 (20 API), LPG 0.55").
SG_COKER_NAPHTHA = 0.771
SG_CGO = 0.934
SG_LPG = 0.55

# ------------------------------------------------------------------------------------------------
# Refineries
# ------------------------------------------------------------------------------------------------

# EIA site_id -> (refinery_id, display name, operator). The modelled set is every active PADD 3
# refinery with a coker plus every non-coking refinery of 74 kb/sd or more. Left out: condensate
# splitters (no downstream units) and plants below 61 kb/sd without a coker. Saraland/Mobile (90.6
# kb/sd) is in: its status_note says sold by Shell to Vertex (2022) with ~88 kb/cd in later EIA data,
# i.e. still active, not shut.
REFINERY_SITES = OrderedDict([
    (507, ("motiva_port_arthur", "Motiva Port Arthur TX", "Motiva (Saudi Aramco)")),
    (301, ("marathon_galveston_bay", "Marathon Galveston Bay (Texas City) TX", "Marathon Petroleum")),
    (530, ("marathon_garyville", "Marathon Garyville LA", "Marathon Petroleum")),
    (163, ("exxon_baytown", "ExxonMobil Baytown TX", "ExxonMobil")),
    (161, ("exxon_baton_rouge", "ExxonMobil Baton Rouge LA", "ExxonMobil")),
    (465, ("citgo_lake_charles", "CITGO Lake Charles LA", "CITGO (PDV America)")),
    (434, ("valero_port_arthur", "Valero Port Arthur TX", "Valero Energy")),
    (225, ("exxon_beaumont", "ExxonMobil Beaumont TX", "ExxonMobil")),
    (125, ("chevron_pascagoula", "Chevron Pascagoula MS", "Chevron")),
    (385, ("pemex_deer_park", "Deer Park Refining TX", "Pemex (PMI Deer Park)")),
    (351, ("valero_corpus_christi", "Valero Corpus Christi TX", "Valero Energy")),
    (256, ("p66_sweeny", "Phillips 66 Sweeny TX", "Phillips 66")),
    (204, ("fhr_corpus_christi", "Flint Hills Corpus Christi TX (West + East)", "Koch (Flint Hills)")),
    (392, ("p66_lake_charles", "Phillips 66 Lake Charles (Westlake) LA", "Phillips 66")),
    (276, ("shell_norco", "Shell Norco LA", "Shell")),
    (83, ("total_port_arthur", "TotalEnergies Port Arthur TX", "TotalEnergies")),
    (503, ("valero_texas_city", "Valero Texas City TX", "Valero Energy")),
    (517, ("valero_st_charles", "Valero St. Charles (Norco) LA", "Valero Energy")),
    (228, ("pbf_chalmette", "PBF Chalmette LA", "PBF Energy")),
    (478, ("citgo_corpus_christi", "CITGO Corpus Christi TX", "CITGO (PDV America)")),
    (255, ("wrb_borger", "WRB Borger TX", "WRB Refining (Phillips 66/Cenovus)")),
    (190, ("hunt_tuscaloosa", "Hunt Tuscaloosa AL", "Hunt Refining")),
    (147, ("delek_tyler", "Delek Tyler TX", "Delek US")),
    (502, ("valero_houston", "Valero Houston TX", "Valero Energy")),
    (386, ("valero_mckee", "Valero McKee (Sunray) TX", "Valero Energy")),
    (123, ("marathon_el_paso", "Marathon El Paso TX", "Marathon Petroleum")),
    (510, ("calcasieu_lake_charles", "Calcasieu Refining Lake Charles LA", "Calcasieu Refining")),
    (237, ("valero_meraux", "Valero Meraux LA", "Valero Energy")),
    (185, ("hfs_navajo", "HF Sinclair Navajo (Artesia) NM", "HF Sinclair")),
    (148, ("chevron_pasadena", "Chevron Pasadena TX", "Chevron")),
    (387, ("valero_three_rivers", "Valero Three Rivers TX", "Valero Energy")),
    (442, ("delek_el_dorado", "Delek El Dorado AR", "Delek US")),
    (501, ("delek_krotz_springs", "Delek Krotz Springs LA", "Delek US")),
    (262, ("placid_port_allen", "Placid Port Allen LA", "Placid Refining")),
    (84, ("delek_big_spring", "Delek Big Spring TX", "Delek US")),
    (206, ("vertex_mobile", "Vertex Mobile (Saraland) AL", "Vertex Energy (Shell until 2022)")),
])

# Flint Hills Corpus Christi West (204) and East (205) are one complex (East has an FCC but no
# vacuum unit and is fed from West): modelled as one refinery with the summed capacities. E.
MERGE_SITES = {205: 204}

# Sites closed since the 2021 EIA layer. 444, 505, 179 carry the closure in status_note (S).
# 289 Phillips 66 Alliance (Belle Chasse) was shut after Hurricane Ida (Aug 2021) and is being
# converted to a terminal: a widely reported fact that is NOT in the shared data (status_note is
# empty) - E. It is left out of the model and of the active-capacity denominator.
CLOSED_SITES_UNSOURCED = {289: "Phillips 66 Alliance: shut after Hurricane Ida 2021 (not in shared data: E)"}

# Sourced calendar-day crude capacities that replace 0.94 x the 2021 stream-day figure
# (eia_refineries_padd3_2021.csv status_note of the site).
CRUDE_CD_OVERRIDES = {
    507: (640.5, "status_note: 640,500 b/cd in EIA refcap as of Jan 1 2025 (Reuters 2025-06-20)"),
    225: (609.0, "status_note: BLADE expansion (Mar 2023) 369,000 -> 609,000 b/cd (EIA 2024-07-30)"),
    434: (360.0, "status_note: +25,000 b/cd expansion to 360,000 b/cd (EIA 2024-07-30)"),
}

# Inland refineries (Panhandle, Permian, New Mexico, East Texas, Arkansas): seaborne crude reaches
# them only by a further pipeline haul from the coast. E: $3.00/bbl on top of the coast freight,
# about the 2013 committed Keystone heavy toll per 1,000 miles (logistics_pipelines_freight.csv
# "committed ~5.81") scaled to a 500-700 mile haul.
INLAND_REFINERIES = ("wrb_borger", "valero_mckee", "marathon_el_paso", "hfs_navajo", "delek_big_spring",
                     "delek_tyler", "delek_el_dorado")
INLAND_SEABORNE_SURCHARGE = 3.00

# EIA columns -> unit types (all x CALENDAR_PER_STREAM_DAY). thermal_cracking_visbreak is zero at
# every PADD 3 site.
UNIT_COLUMNS = OrderedDict([
    ("vacuum", "vacuum_dist_kbsd"),
    ("coker", "coking_kbsd"),
    ("fcc", "fcc_fresh_feed_kbsd"),
    ("hydrocracker", "hydrocracking_kbsd"),
    ("reformer", "cat_reforming_kbsd"),
    ("alkylation", "alkylation_isom_kbsd"),
    ("hydrotreater", "hydrotreating_desulf_kbsd"),
    ("asphalt", "asphalt_kbsd"),
])

# Crude-diet windows by configuration (slate API range, volume-weighted SG; slate sulfur,
# mass-weighted). E: no per-refinery diet data in the shared folder. Basis: a heavy-sour coking
# refinery (coker/crude >= 0.20) is designed around Maya/WCS/Arab-type slates (20-30 API, up to
# 3.0-3.4 %S: crude_candidates_lp_summary.csv); its crude and vacuum columns, desalters and light-
# ends plant are sized for that diet, so a slate much lighter than design loses throughput in the
# overhead/naphtha/LPG systems, which the LP does not model unit by unit. The maximum slate API is
# the usual planning-LP proxy for that limit. Lighter configurations get lighter windows; a refinery
# without a coker cannot reject residue and runs light/medium crude.
# (min coker/crude ratio, api_min, api_max (None = no limit), sulfur_max, label) - first match wins.
DIET_CLASSES = (
    (0.20, 20.0, 33.0, 3.2, "heavy-sour coking (coker/crude >= 0.20)"),
    (0.10, 23.0, 36.0, 2.6, "medium coking (coker/crude 0.10-0.20)"),
    (0.001, 26.0, 40.0, 2.0, "light coking (coker/crude < 0.10)"),
    (0.0, 30.0, None, 1.3, "no coker"),
)
# E: crude-unit metallurgy limit on slate TAN (mass-weighted); common planning value 1.0 mg KOH/g
# for blended slates. Kearl (2.05) and AWB (1.56) must be blended down.
TAN_MAX = 1.0

# Operating costs, $/bbl of feed: process/unit_utilities_costs.csv est_utility_cost_usd_per_bbl
# (utilities only, E by that file's author) plus, where stated, hydrogen or purchased isobutane.
CRUDE_UNIT_COST = 0.29  # "atmospheric distillation"
UNIT_OPEX = {
    "vacuum": (0.17, "S+E: unit_utilities_costs.csv 'vacuum distillation' 0.17 (utilities only)"),
    "coker": (0.55, "S+E: unit_utilities_costs.csv 'delayed coking' 0.55"),
    "fcc": (0.30, "S+E: unit_utilities_costs.csv 'fluid catalytic cracking' 0.30 (excl. catalyst)"),
    # 1.26 utilities + 1500 scf H2/bbl (unit_yields.csv PRELIM default severity) x $1.08/Mscf
    # (unit_utilities_costs.csv SMR energy-only) = 1.62
    "hydrocracker": (2.88, "S+E: unit_utilities_costs.csv HC <2000 scf 1.26 + H2 1.5 Mscf/bbl x 1.08 $/Mscf"),
    "reformer": (1.35, "S+E: unit_utilities_costs.csv 'naphtha catalytic reformer' 1.35 (H2 credit not taken)"),
    # 0.72 utilities (150-400 scf class) + ~250 scf H2/bbl x 1.08 $/Mscf = 0.27 -> ~1.0
    "hydrotreater": (1.00, "S+E: unit_utilities_costs.csv HT 150-400 scf 0.72 + ~0.25 Mscf H2 x 1.08"),
    "asphalt": (0.10, "E: ASPHALT_OPEX (blowing/blending; no source)"),
    # alkylation: set per price regime (1.72 utilities + purchased isobutane), see alky_opex()
}
ALKY_UTILITIES = 1.72  # unit_utilities_costs.csv "alkylation (H2SO4)"

# ------------------------------------------------------------------------------------------------
# Unit yields (engineering estimates built from process/)
# ------------------------------------------------------------------------------------------------

# Vacuum residue is kept in three pools by micro carbon residue of the VR (assay VR_MCR_wtpct), so
# the coker sees crude-dependent yields without pooling: a stream has one fixed quality.
VR_CLASSES = (("vr_lo", 0.0, 17.0), ("vr_md", 17.0, 25.0), ("vr_hi", 25.0, 99.0))

# Coker: Gary carbon-residue correlation (process/unit_yield_correlations.csv, delayed_coker rows):
# coke = 1.6 CCR, gas(C4-) = 7.8 + 0.144 CCR, naphtha = 11.29 + 0.343 CCR, gas oil = rest (wt %).
# Gas split 50/50 into dry gas (loss) and LPG (offgas_composition_prelim.csv Coker C3_C4_share 0.5).
COKER_LPG_SHARE_OF_GAS = 0.5
# The correlation gives 45.7 wt% coke for the high-CCR pool, above the largest coke yield in the
# PRELIM inventory ("up to 0.40 wt frac of VR", unit_yields.csv, PRELIM doc p.45) and the typical
# 0.18-0.30 range (same file). Coke is capped there; the excess mass goes to coker gas oil. S+E.
COKE_WT_MAX = 0.40
# Coker gas oil is fractionated into light (diesel-range, to the distillate hydrotreater) and heavy
# (FCC/hydrocracker feed). unit_yield_correlations.csv: "LCGO/HCGO split not given by correlation;
# choose by fractionator cut points - not found in a public source". E: 45 % of the CGO volume is
# light coker gas oil (typical 650 F cut on a delayed-coker fractionator).
LCGO_SHARE_OF_CGO = 0.45

# FCC, 75 LV% conversion, PRELIM worked balance (unit_yields.csv fcc rows, vol frac).
FCC_YIELDS_VGO = {"fcc_lpg": 0.2665, "fcc_naphtha": 0.579, "lco": 0.1872, "slurry": 0.0628}
# dry gas 5.31 wt% + coke 5.52 wt% of a 0.94 SG feed counted as loss in fuel-oil-equivalent bbl
FCC_LOSS_VGO = round((0.0531 + 0.0552) * 0.94, 4)
# E: coker gas oil cracks worse (aromatic, N-rich): ~65 % conversion instead of 75 %; basis Gary
# conversion curves (fcc_gary_curves_prelim.csv) read at 65 % against the 75 % balance.
FCC_YIELDS_CGO = {"fcc_lpg": 0.22, "fcc_naphtha": 0.50, "lco": 0.25, "slurry": 0.10}
FCC_LOSS_CGO = 0.11

# Hydrocracker: PRELIM DHCU mass yields turned into volume (unit_yields.csv "VGO rho 920" rows).
HC_YIELDS = {"lpg": 0.069, "hc_naphtha": 0.1853, "hc_jet": 0.3366, "hc_diesel": 0.5117, "hc_bottoms": 0.0321}
# C1-C2 = 25 % of a 5.5 wt% off-gas (offgas_composition_prelim.csv, gas oil hydrocracker C3_C4 0.752)
HC_LOSS = round(0.055 * (1 - 0.752) * 0.92, 4)

# Reformer: reformate 0.78 vol (Fahim correlation, (N+2A)=50, RON 98: unit_yields.csv 0.7826);
# LPG = 6.4 wt% off-gas x 70.5 % C3/C4 at naphtha SG 0.75 / LPG SG 0.55; hydrogen, dry gas and
# volume shrink close the balance as loss.
REFORMATE_YIELD = 0.78
REFORMER_LPG = round(0.064 * 0.705 * 0.75 / SG_LPG, 4)

# Alkylation (feed = FCC C3/C4): olefins ~60 vol % of FCC C3/C4 (offgas_composition_prelim.csv FCC:
# C3H6 21 + C4H8 32 of 86 mass C3/C4 -> 62 %); 1.74 vol alkylate per vol butylene (unit_yields.csv
# Albright, 2.01 wt/wt) -> 1.04 alkylate per bbl feed; isobutane needed 1.08 x 0.60 = 0.65, of
# which 0.21 is in the feed (iC4 18 of 86) and 0.44 is bought (charged in operating cost at the LPG
# price, see alky_opex); the feed's propane/n-butane (0.19) leaves as LPG.
ALKY_ALKYLATE = 1.04
ALKY_LPG = 0.19
ALKY_PURCHASED_IC4 = 0.44

# Hydrotreaters: liquid volume yield ~1.0 (unit_yields.csv notes: "vol frac ~1.0"); H2S and a few
# tenths of a percent of gas are neglected in volume.
HT_YIELD = 1.0

# Alkylation capacity: EIA reports alkylation (+ isomerization, combined in this layer) in barrels
# of product; our unit capacity is feed: divide by ALKY_ALKYLATE. E (isomerization share unknown).

# Crude cuts: a kerosene cut from a crude below this sulfur is 'sweet' and may go to jet after
# merox without hydrotreating. Basis: kerosene S / crude S p75 0.365 (straightrun_sulfur_ratios.csv)
# x 0.6 = 0.22 wt% < 0.30 wt% jet limit (product_specs.csv Jet A).
SWEET_KERO_CRUDE_S_MAX = 0.6

# ------------------------------------------------------------------------------------------------
# Blend qualities (E unless noted)
# ------------------------------------------------------------------------------------------------
# (R+M)/2 from blend_component_properties.csv (Olsen 2014 via ND-Pyomo-Cookbook) where given.
AKI = {
    "lsr": (77.0, "S: blend_component_properties.csv light straight run naphtha (R+M)/2"),
    "reformate": (94.1, "S: blend_component_properties.csv reformate (R+M)/2"),
    "alkylate": (96.6, "S: blend_component_properties.csv alkylate (R+M)/2"),
    "fcc_gasoline": (83.6, "S+E: blend_component_properties.csv FCC naphtha 84.6 less 1.0 post-treat octane loss (E)"),
    "hc_naphtha": (76.0, "E: blend_component_properties.csv 'hydrocracker light naphtha RON ~75-80' -> AKI ~76"),
    "naphtha_ht": (55.0, "E: heavy straight-run naphtha, hydrotreated, unreformed (typical RON 50-60)"),
}
# Cetane index; ULSD needs >= 40 (product_specs.csv). LCO 'low (~20s-30s)' (blend_component_
# properties.csv); the others are typical values, E.
CETANE = {
    "diesel_ht": (48.0, "E: straight-run diesel 290-340 C, hydrotreated (typical CI 45-52)"),
    "kero_ht": (42.0, "E: hydrotreated kerosene (typical CI 40-45)"),
    "kero_sw": (42.0, "E: sweet kerosene (typical CI 40-45)"),
    "hc_diesel": (55.0, "E: hydrocracker diesel (paraffinic, typical CI 50-60)"),
    "hc_jet": (47.0, "E: hydrocracker kerosene"),
    "lco_ht": (30.0, "S+E: blend_component_properties.csv LCO cetane 'low (~20s-30s)', +few after HT"),
    "lcgo_ht": (38.0, "E: hydrotreated light coker gas oil (typical CI 35-42)"),
}
# Sulfur (wt %) of HSFO components. Straight-run cuts: median cut/crude ratio
# (straightrun_sulfur_ratios.csv) x mean sulfur of the modelled crudes that make the cut; VR pools:
# mean assay VR sulfur of the member crudes (computed below); cracked stocks E.
CRACKED_SULFUR = {
    "lco": (3.0, "S+E: sulfur_distribution.csv FCC: LCO takes 0.28 of feed S at ~0.19 vol -> ~1.2-1.5 x VGO S"),
    "slurry": (4.0, "S+E: sulfur_distribution.csv FCC: decant takes 0.15-0.35 of feed S at ~0.06 vol; capped E"),
    "cgo": (3.5, "E: sulfur_distribution.csv coker: 0.30-0.40 of feed S into liquids"),
    "lcgo": (2.5, "E: sulfur_distribution.csv coker: 0.30-0.40 of feed S into liquids (lighter cut, less S)"),
    "hc_bottoms": (0.01, "E: hydrocracked, desulfurised"),
    "lco_ht": (0.05, "E: hydrotreated"),
}
HSFO_SULFUR_MAX = 3.5  # product_specs.csv high-sulfur fuel oil (HSFO 380) 3.5 mass %
# What HSFO may be blended from: residues (straight from the crude unit or the vacuum unit), gas oils and cutter
# stocks. Atmospheric residue is not a stream: it is vgo_raw + vr_raw_X sold together without vacuum distillation.
HSFO_COMPONENTS = ("vr_raw_lo", "vr_raw_md", "vr_raw_hi", "vgo_raw", "vr_lo", "vr_md", "vr_hi", "vgo", "ago",
                   "diesel_raw", "kero_raw", "slurry", "lco", "lco_ht", "lcgo", "cgo", "hc_bottoms")
# HSFO viscosity. RMG 380 (ISO 8217:2012, product_specs.csv): kinematic viscosity <= 380 mm2/s (cSt) at 50 C. S.
# Viscosity does not blend linearly; the Refutas viscosity blending index does,
#     VBI = 14.534 ln(ln(v + 0.8)) + 10.975      (v in cSt, all at the same temperature, here 50 C),
# and the spec is VBI(blend) <= VBI(380) = 36.876. Refutas blends by MASS fraction (Maples, Petroleum Refinery
# Process Economics). It is blended here by VOLUME, as the package blends every spec and as planning LPs commonly
# do, because (1) a mass basis in a volume-weighted spec would need each stream's quality rewritten as
# SG x (VBI - VBI_max), which ties the stream qualities to the 380 limit and hides the stream's own VBI (and the
# blend VBI the results report); (2) the HSFO sulfur spec is volume-blended already; (3) the error has a known
# sign: residues (SG 0.98-1.05) are denser than the distillate cutters (0.80-0.95), so the volume basis gives the
# residue less weight than the mass basis and lets a blend through with a few points less cutter than it really
# needs (size: HSFO_COMPONENT_SG below, printed by --report). It errs in favour of selling residue as HSFO.
HSFO_VISCOSITY_MAX_CST_50C = 380.0
# Kinematic viscosity at 50 C of each HSFO component, cSt. All E: no viscosity is in the data. One value per
# stream, like every stream quality here; the vr_raw_X / vr_X pools are defined per carbon-residue class, so one
# value per pool. The 525 C+ residues are set by paving-asphalt consistency, since the model's asphalt units
# turn them into paving grades unchanged: AASHTO M 226 viscosity grades fix 60 C absolute viscosity and a 135 C
# kinematic minimum (AC-2.5 250 P / 125 cSt, AC-10 1000 P / 250 cSt, AC-30 3000 P / 350 cSt), and ASTM D341
# (Walther, log log (v + 0.7) linear in log T) through those two points gives 50 C. Distillates and cracked
# stocks are typical values at 40 or 100 C taken to 50 C the same way (general knowledge, not in the data).
VISCOSITY_CST_50C = {
    "vr_lo": (3.0e4, "light/medium sweet-crude residue (pool CCR 11.6): ~450 cSt at 100 C, softer than the softest "
                     "paving grade (AC-2.5: 250 P at 60 C = ~8e4 cSt at 50 C); ASTM D341 to 50 C"),
    "vr_md": (4.0e5, "medium-carbon sour residue (pool CCR 21.3; Arab Heavy, Canadian, GoM sour): AC-10 consistency "
                     "(1000 P at 60 C, 250 cSt at 135 C, AASHTO M 226) -> 3.8e5 cSt at 50 C by ASTM D341"),
    "vr_hi": (1.4e6, "high-carbon residue (pool CCR 27.9; Maya, Merey, Colombian): AC-30 consistency (3000 P at "
                     "60 C, 350 cSt at 135 C, AASHTO M 226) -> 1.4e6 cSt at 50 C by ASTM D341"),
    "vgo_raw": (50.0, "400-525 C vacuum gas oil (LVGO ~15, HVGO ~150 cSt at 50 C; ~7 cSt at 100 C)"),
    "vgo": (50.0, "400-525 C vacuum gas oil (LVGO ~15, HVGO ~150 cSt at 50 C; ~7 cSt at 100 C)"),
    "ago": (8.0, "340-400 C atmospheric gas oil (~10-12 cSt at 40 C)"),
    "diesel_raw": (3.5, "290-340 C straight-run diesel, the heavy end of No. 2 diesel (ASTM D975: 1.9-4.1 cSt at "
                        "40 C)"),
    "kero_raw": (1.1, "180-290 C straight-run kerosene (jet ~1.2-1.5 cSt at 40 C)"),
    "lco": (3.0, "FCC light cycle oil: ~3.5 cSt at 40 C (trade specs 3-6) -> ~3 cSt at 50 C"),
    "lco_ht": (3.0, "hydrotreated LCO: as LCO (hydrotreating changes the viscosity little)"),
    "lcgo": (3.0, "light coker gas oil, diesel range: as straight-run diesel of the same cut"),
    "cgo": (20.0, "heavy coker gas oil (~340-510 C, ~4-5 cSt at 100 C)"),
    "hc_bottoms": (15.0, "hydrocracker unconverted oil: paraffinic, ~4 cSt at 100 C (lube base-oil feed)"),
    "slurry": (100.0, "FCC decant oil: carbon-black feedstock spec <= 80 SUS at 210 F (~15 cSt at 99 C; "
                      "Sadeghbeigi, FCC Handbook) -> ~100 cSt at 50 C by ASTM D341"),
}
VISCOSITY_CST_50C.update({f"vr_raw_{k[3:]}": (v, s + " (the same residue before the vacuum unit)")
                          for k, (v, s) in list(VISCOSITY_CST_50C.items()) if k.startswith("vr_")})
# Specific gravity of the HSFO components, used only by --report to size the volume-basis error of the viscosity
# blend (not in the model). VR pools: the assay pool means (computed); CGO 0.934 (process/unit_yields.csv coker
# rows); hydrotreated diesel 0.825 and kerosene 0.820 (blend_component_properties.csv, PRELIM Table 10); the rest E.
HSFO_COMPONENT_SG = {"vgo_raw": 0.92, "vgo": 0.92, "ago": 0.88, "diesel_raw": 0.85, "kero_raw": 0.81, "lco": 0.94,
                     "lco_ht": 0.92, "lcgo": 0.88, "cgo": SG_CGO, "hc_bottoms": 0.85, "slurry": 1.08}


def refutas_vbi(v_cst: float) -> float:
    """Refutas viscosity blending index of a kinematic viscosity in cSt."""
    return 14.534 * math.log(math.log(v_cst + 0.8)) + 10.975


def refutas_cst(vbi: float) -> float:
    """Kinematic viscosity in cSt of a Refutas viscosity blending index."""
    return math.exp(math.exp((vbi - 10.975) / 14.534)) - 0.8

# Kerosene-range share of ULSD. E: No. 2-D diesel needs a 52 C flash point (ASTM D975) and
# kerosene flashes at 38-50 C (product_specs.csv Jet A flash min 38 C), so only part of the diesel
# pool can be kerosene; 30 % is a planning value (flash blending is not linear). Without it the LP
# puts every barrel of kerosene into ULSD whenever ULSD outprices jet, which is not what the coast
# makes.
ULSD_KERO_SHARE_MAX = 0.30
KERO_RANGE = ("kero_ht", "hc_jet")
ULSD_COMPONENTS = ("diesel_ht", "kero_ht", "hc_jet", "hc_diesel", "lco_ht", "lcgo_ht")

# ------------------------------------------------------------------------------------------------
# Crudes
# ------------------------------------------------------------------------------------------------
# crude_id -> name, origin, operator (seller used by policies), assay (PRELIM 'assay' name, first
# row if duplicated; None = built below), marker, freight class, TAN (value, basis).
CRUDES = OrderedDict([
    ("merey16", {"name": "Merey 16 (PDVSA, via licensed traders)", "origin": "Venezuela", "operator": "PDVSA",
                     "assay": "Merey_Solomon 2015", "marker": "brent", "freight": "venezuela",
                     "tan": (1.0, "E: crude_candidates_lp_summary.csv 'Merey typically ~1; ESTIMATE'")}),
    ("merey16_chv", {"name": "Merey 16 (Chevron-marketed, Petropiar blend)", "origin": "Venezuela",
                         "operator": "Chevron", "assay": "Merey_Solomon 2015",
                         "marker": "brent", "freight": "venezuela",
                         "tan": (1.0, "E: as merey16")}),
    ("boscan", {"name": "Boscan (Chevron JV Petroboscan)", "origin": "Venezuela", "operator": "Chevron",
                    "assay": None, "marker": "brent", "freight": "venezuela",
                    "tan": (1.5, "E: naphthenic Maracaibo asphalt crude; no TAN in the shared data")}),
    ("hamaca", {"name": "Hamaca upgraded (Chevron JV Petropiar)", "origin": "Venezuela", "operator": "Chevron",
                    "assay": "Hamaca Venezuela_Knovel", "marker": "wti", "freight": "venezuela",
                    "tan": (0.5, "E: upgraded Orinoco crude; no TAN in the shared data")}),
    ("zuata", {"name": "Zuata 20 (Petrocedeno blend)", "origin": "Venezuela", "operator": "PDVSA",
                   "assay": "Zuata 20_Solomon 2017", "marker": "brent", "freight": "venezuela",
                   "tan": (1.0, "E: diluted Orinoco blend, as Merey")}),
    ("morichal", {"name": "Morichal 16", "origin": "Venezuela", "operator": "PDVSA",
                      "assay": "Morichal 16_Solomon 2009", "marker": "brent", "freight": "venezuela",
                      "tan": (1.0, "E: diluted Orinoco blend, as Merey")}),
    # Lake Maracaibo (western) PDVSA grades with a complete PRELIM assay. TAN is not in the data; the
    # heavy Maracaibo crudes are naphthenic like Boscan (E 1.5), the medium/light ones E 0.5.
    ("bachaquero", {"name": "Bachaquero (Lake Maracaibo heavy)", "origin": "Venezuela", "operator": "PDVSA",
                        "assay": "Bachaquero_Solomon 2001", "marker": "brent", "freight": "venezuela",
                        "tan": (1.5, "E: naphthenic Maracaibo heavy crude, as Boscan; no TAN in the shared data")}),
    ("bcf17", {"name": "BCF-17 (Bachaquero-Lagunillas-Tia Juana blend)", "origin": "Venezuela", "operator": "PDVSA",
                   "assay": "BCF-17_Solomon 2002", "marker": "brent", "freight": "venezuela",
                   "tan": (1.5, "E: naphthenic Maracaibo heavy blend, as Boscan")}),
    ("bcf22", {"name": "BCF-22", "origin": "Venezuela", "operator": "PDVSA", "assay": "Bcf-22_Solomon 2004",
                   "marker": "brent", "freight": "venezuela", "tan": (0.5, "E: medium Maracaibo blend")}),
    ("bcf24", {"name": "BCF-24", "origin": "Venezuela", "operator": "PDVSA", "assay": "Bcf-24_Solomon 2002",
                   "marker": "brent", "freight": "venezuela", "tan": (0.5, "E: medium Maracaibo blend")}),
    ("tia_juana_pesado", {"name": "Tia Juana Pesado (heavy)", "origin": "Venezuela", "operator": "PDVSA",
                              "assay": "Tia Juana Pesado_Solomon 2002", "marker": "brent", "freight": "venezuela",
                              "tan": (1.5, "E: naphthenic Maracaibo heavy crude, as Boscan")}),
    ("tia_juana_light", {"name": "Tia Juana Light", "origin": "Venezuela", "operator": "PDVSA",
                             "assay": "Tia Juana Light_Solomon 2002", "marker": "brent", "freight": "venezuela",
                             "tan": (0.5, "E: medium/light Maracaibo crude")}),
    ("wcs", {"name": "Western Canadian Select (pipeline)", "origin": "Canada", "operator": "",
                 "assay": "Western Canadian Select_Crude Monitor", "marker": "wti", "freight": "canada_pipe",
                 "tan": (0.888,
                         "S: canadian_crude_quality_crudemonitor_2021-2023avg.csv Western Canadian Select")}),
    ("cold_lake", {"name": "Cold Lake Blend (pipeline)", "origin": "Canada", "operator": "",
                       "assay": "Cold Lake Blend_Solomon", "marker": "wti", "freight": "canada_pipe",
                       "tan": (1.019, "S: canadian_crude_quality_crudemonitor_2021-2023avg.csv Cold Lake")}),
    ("awb", {"name": "Access Western Blend (pipeline)", "origin": "Canada", "operator": "",
                 "assay": "Access Western Blend_Crude Monitor", "marker": "wti", "freight": "canada_pipe",
                 "tan": (1.563, "S: canadian_crude_quality_crudemonitor_2021-2023avg.csv Access Western Blend")}),
    ("kearl", {"name": "Kearl (pipeline)", "origin": "Canada", "operator": "",
                   "assay": "Kearl Lake_Crude Monitor", "marker": "wti", "freight": "canada_pipe",
                   "tan": (1.847, "S: canadian_crude_quality_crudemonitor_2021-2023avg.csv Kearl Lake")}),
    ("sco", {"name": "Syncrude Sweet Premium (synthetic, pipeline)", "origin": "Canada", "operator": "",
                 "assay": "Syncrude Sweet Premium_Crude Monitor_New", "marker": "wti", "freight": "canada_pipe",
                 "tan": (0.05, "E: synthetic crude, TAN negligible (candidates file 'n/a (SCO, low)')")}),
    ("wcs_tmx", {"name": "Western Canadian Select via Trans Mountain + tanker", "origin": "Canada", "operator": "",
                     "assay": "Western Canadian Select_Crude Monitor", "marker": "wti", "freight": "canada_tmx",
                     "tan": (0.888,
                             "S: canadian_crude_quality_crudemonitor_2021-2023avg.csv Western Canadian Select")}),
    ("maya", {"name": "Maya", "origin": "Mexico", "operator": "Pemex", "assay": "Maya_Solomon 2001", "marker": "wti",
                  "freight": "mexico",
                  "tan": (0.3, "E: candidates TAN 0.3 (RTL crudes table, author-entered, unsourced)")}),
    ("isthmus", {"name": "Isthmus", "origin": "Mexico", "operator": "Pemex", "assay": "Isthmus_Solomon 2005",
                     "marker": "wti", "freight": "mexico", "tan": (0.2, "E: medium crude, no TAN in the shared data")}),
    ("castilla", {"name": "Castilla Blend", "origin": "Colombia", "operator": "Ecopetrol",
                      "assay": "Castilla Blend_Solomon 2016", "marker": "brent", "freight": "colombia",
                      "tan": (0.3, "E: no TAN in the shared data")}),
    ("vasconia", {"name": "Vasconia", "origin": "Colombia", "operator": "Ecopetrol", "assay": "Vasconia_Solomon 2014",
                      "marker": "brent", "freight": "colombia", "tan": (0.2, "E: no TAN in the shared data")}),
    ("napo", {"name": "Napo", "origin": "Ecuador", "operator": "Petroecuador", "assay": "Napo_Solomon 2005",
                  "marker": "wti", "freight": "ecuador",
                  "tan": (0.5, "E: candidates TAN 0.5 (RTL crudes table, author-entered)")}),
    ("oriente", {"name": "Oriente", "origin": "Ecuador", "operator": "Petroecuador", "assay": "Oriente_Solomon 2013",
                     "marker": "wti", "freight": "ecuador",
                     "tan": (0.25, "E: candidates TAN 0.25 (RTL crudes table, author-entered)")}),
    ("basrah_heavy", {"name": "Basrah Heavy", "origin": "Iraq", "operator": "SOMO",
                          "assay": "Basrah Heavy_Solomon 2016", "marker": "brent", "freight": "middle_east",
                          "tan": (0.237, "S: crude_assays_exxonmobil_summary.csv basrah-heavy")}),
    ("basrah_medium", {"name": "Basrah Medium", "origin": "Iraq", "operator": "SOMO", "assay": "Basrah_Solomon",
                           "marker": "brent", "freight": "middle_east",
                           "tan": (0.13, "S: crude_assays_bp_summary.csv basrah-medium")}),
    ("arab_heavy", {"name": "Arab Heavy", "origin": "Saudi Arabia", "operator": "Saudi Aramco",
                        "assay": "Arabian Heavy_Solomon 2012", "marker": "brent", "freight": "middle_east",
                        "tan": (0.1, "E: Arab grades are low-acid; no TAN in the shared data")}),
    ("arab_medium", {"name": "Arab Medium", "origin": "Saudi Arabia", "operator": "Saudi Aramco",
                         "assay": "Arab Medium_Solomon 2015", "marker": "brent", "freight": "middle_east",
                         "tan": (0.1, "E: as arab_heavy")}),
    ("buzios", {"name": "Buzios", "origin": "Brazil", "operator": "Petrobras", "assay": "BUZIOS_Solomon 2018",
                    "marker": "brent", "freight": "brazil", "tan": (0.3, "E: no TAN in the shared data")}),
    ("lula", {"name": "Lula (Tupi)", "origin": "Brazil", "operator": "Petrobras", "assay": "Lula_Solomon 2014",
                  "marker": "brent", "freight": "brazil", "tan": (0.3, "E: no TAN in the shared data")}),
    ("liza", {"name": "Liza", "origin": "Guyana", "operator": "ExxonMobil Guyana", "assay": "Liza_Solomon",
                  "marker": "brent", "freight": "guyana",
                  "tan": (0.216, "S: crude_candidates_lp_summary.csv TAN (ExxonMobil via NOAA EX00058)")}),
    ("mars", {"name": "Mars", "origin": "United States", "operator": "", "assay": "Mars_Solomon 2017", "marker": "wti",
                  "freight": "us_gulf", "tan": (0.41, "S: crude_candidates_lp_summary.csv TAN (BP assay)")}),
    ("poseidon", {"name": "Poseidon", "origin": "United States", "operator": "", "assay": "Poseidon_Solomon 2017",
                      "marker": "wti", "freight": "us_gulf", "tan": (0.4, "E: as Mars")}),
    ("sgc", {"name": "Southern Green Canyon", "origin": "United States", "operator": "",
                 "assay": "Southern Green Canyon_Solomon", "marker": "wti", "freight": "us_gulf",
                 "tan": (0.13, "S: crude_candidates_lp_summary.csv TAN (BP assay)")}),
    ("lls", {"name": "Light Louisiana Sweet", "origin": "United States", "operator": "",
                 "assay": "LLS ST JAMES_Solomon 2007", "marker": "wti", "freight": "us_gulf",
                 "tan": (0.25, "E: candidates TAN 0.25 (RTL crudes table, author-entered)")}),
    ("wti", {"name": "WTI (delivered Houston)", "origin": "United States", "operator": "",
                 "assay": "West texas intermediate_Stratiev", "marker": "wti", "freight": "us_houston",
                 "tan": (0.1, "E: candidates TAN 0.1 (RTL crudes table, author-entered)")}),
])

# Boscan: only NOAA ADIOS AD02042 has a distillation (mass basis, cumulative at 330/480/650/1000 F).
# E: cut densities used to turn mass into volume (naphtha 0.76, kerosene 0.84, diesel 0.89,
# gas oil 0.95; VR closes the crude density 0.993); splits of the NOAA cuts onto our cut points:
# IBP-330 F -> 20 % LSR / 80 % naphtha; 480-650 F -> 40 % kerosene / 60 % diesel; 650-1000 F ->
# 30 % AGO / 70 % VGO. MCR of the crude: 13.85 wt% (Bachaquero_Solomon 2001, the assay of the
# nearest Maracaibo heavy crude in the PRELIM file, 11.06 API) - E. VR sulfur from the crude
# sulfur x VR/crude ratio median 1.921 (straightrun_sulfur_ratios.csv) capped at the 4.6 %S crude
# x 1.2 - E.
BOSCAN_SG_CUTS = {"naphtha": 0.76, "kero": 0.84, "diesel": 0.89, "gasoil": 0.95}
BOSCAN_MCR = 13.85
BOSCAN_VR_SULFUR_RATIO = 1.2

# Availability to the Gulf Coast, kb/d, in the base case (2026). E for every grade (the shared data has
# no per-grade export statistics); each entry says what it rests on. Empty = no limit (WTI: US light
# sweet output is far above the coast's appetite; what the coast does not run is exported).
VZ_EXPORTS_2026 = 800.0   # venezuela_timeline_volumes.csv 2026-01: 'total exports ~800 kb/d (Jan 2026)'
VZ_CHEVRON_2026 = 300.0   # same file 2026-03: 'Chevron exports ~300 kb/d in Mar 2026 vs 220 in Jan'
VZ_CHEVRON_JV_2025 = 240.0  # same file 2025-01: Chevron JV production 242 kb/d (2024-2025 scenarios)
# Chevron's 300: Boscan (Petroboscan) 60 and upgraded Hamaca (Petropiar) 60 are E (no per-JV data);
# the rest is the Merey blend Chevron markets. PDVSA's 500 (= 800 - 300): Zuata 80 and Morichal 60 E;
# the Lake Maracaibo (western) grades share VZ_WEST_EXPORTS, split equally (no per-grade data);
# Merey 16, the bulk of Venezuelan exports, takes the rest.
VZ_WEST_EXPORTS = 60.0  # E: western output is small and largely run in Venezuela's Paraguana refineries
VZ_WEST_GRADES = ("bachaquero", "bcf17", "bcf22", "bcf24", "tia_juana_pesado", "tia_juana_light")
AVAILABILITY = {
    "merey16": VZ_EXPORTS_2026 - VZ_CHEVRON_2026 - 80.0 - 60.0 - VZ_WEST_EXPORTS,
    "merey16_chv": VZ_CHEVRON_2026 - 60.0 - 60.0, "hamaca": 60.0, "boscan": 60.0, "zuata": 80.0, "morichal": 60.0,
    **{cid: VZ_WEST_EXPORTS / len(VZ_WEST_GRADES) for cid in VZ_WEST_GRADES},
    # Canada by pipeline: Canadian heavy that could be moved south, about Keystone's capacity per
    # grade group; the Keystone link (610) binds, not these.
    "wcs": 400.0, "cold_lake": 200.0, "awb": 150.0, "kearl": 150.0, "sco": 100.0,
    # Trans Mountain: exports ~350+ kb/d, US share 51.9 % mostly to the US West Coast
    # (logistics_pipelines_freight.csv) -> ~100 kb/d could sail to the Gulf.
    "wcs_tmx": 100.0,
    # Mexico: exports to the USGC fell to 22 kb/d in Jun 2025 (crude_candidates notes, Kpler) as Dos
    # Bocas ramps up; 40 + 10 is about twice that low point.
    "maya": 40.0, "isthmus": 10.0,
    # The next grades: general knowledge of EIA's US imports by country (NOT in the shared data; order
    # of magnitude only) - Colombia ~0.2-0.25 million b/d, mostly Castilla to the Gulf; Ecuador
    # ~0.15-0.2 million b/d, much of it to the West Coast (150 is an upper bound for the Gulf); Iraq
    # ~0.2-0.25 and Saudi Arabia ~0.3-0.4 million b/d (Motiva is Aramco's); Brazil ~0.2-0.25 million
    # b/d; Guyana's exports (~0.6 million b/d in 2025) go mostly to Europe, 200 is an upper bound.
    "castilla": 150.0, "vasconia": 80.0,
    "napo": 60.0, "oriente": 90.0,
    "basrah_heavy": 150.0, "basrah_medium": 100.0,
    "arab_heavy": 150.0, "arab_medium": 150.0,
    "buzios": 150.0, "lula": 100.0,
    "liza": 200.0,
    # US Gulf of Mexico medium sour and Louisiana sweet. Not in the shared data: federal offshore Gulf
    # output is ~1.8-1.9 million b/d (EIA, general knowledge), mostly medium sour sold on the coast;
    # the three sour grades get ~1.1 million b/d, the rest is lighter (Thunder Horse-type, LLS).
    "mars": 500.0, "poseidon": 350.0, "sgc": 250.0, "lls": 250.0,
    "wti": None,
}
# Availabilities that differ in the 2024-2025 scenarios (E): Chevron-marketed grades at the JV output
# of 2025-01 (240 = merey16_chv 120 + boscan 60 + hamaca 60); Maya in 2024, before Dos Bocas cut
# Mexican exports: general knowledge of EIA's US imports from Mexico (~0.45 million b/d in 2024, NOT
# in the shared data), most of it Maya to the Gulf -> 300.
AVAILABILITY_2024_2025 = {"merey16_chv": VZ_CHEVRON_JV_2025 - 60.0 - 60.0}
MAYA_AVAILABILITY_2024 = 300.0

# Freight to the coast, $/bbl. E: the midpoint of crude_candidates_lp_summary.csv
# freight_to_USGC_low/high (itself E) unless noted.
FREIGHT = {
    "venezuela": (2.50, "E: midpoint of candidates freight 1.5-3.5 (Jose -> USGC Aframax)"),
    "mexico": (1.50, "E: midpoint of candidates freight 1.0-2.0"),
    "colombia": (2.00, "E: midpoint of candidates freight 1.5-2.5"),
    "ecuador": (4.00, "E: midpoint of candidates freight 3.0-5.0 (via Panama)"),
    "middle_east": (4.00, "E: midpoint of candidates freight 3.0-5.0 (VLCC/Suezmax via Cape)"),
    "brazil": (3.25, "E: midpoint of candidates freight 2.5-4.0"),
    "guyana": (2.00, "E: midpoint of candidates freight 1.5-2.5"),
    "us_gulf": (0.65, "E: midpoint of candidates freight 0.3-1.0 (offshore pipeline / St James)"),
    "us_houston": (0.00, "S: candidates file: WTI differential already includes Cushing->Houston"),
    # Hardisty -> USGC pipeline toll, derived: Houston WCS -4.35 vs WTI (2024 Q2,
    # heavy_crude_differentials_sourced.csv) minus Hardisty 2024 average ~-13.0 (same file, 2025-05
    # row: '~4 narrower than 2024 average' of -9.15) = 8.65. E (derived).
    # The Canadian pipeline grades are priced delivered on the USGC (see canadian_usgc): no freight.
    "canada_pipe": (0.00, "S+E: differential is the USGC assessment (delivered), see canadian_usgc"),
    # TMX route: pipeline toll proxied by the Keystone uncommitted heavy toll 11.34 (2013 tariff,
    # logistics file) + Vancouver -> USGC tanker via Panama ~3x the Vancouver -> USWC Aframax 1.98
    # (logistics file) = 5.94 -> 17.28. E.
    "canada_tmx": (17.28, "S+E: toll proxy 11.34 (Keystone uncommitted 2013) + 3 x 1.98 Vancouver-USWC Aframax"),
}

# Differentials ($/bbl vs marker) that do not change between price regimes. Sourced point or the
# midpoint of the candidates' range (E).
DIFF_FIXED = {
    "lls": (2.80, "S: heavy_crude_differentials_sourced.csv 2024 Q2 'LLS +2.80 same day' (General Index)"),
    "mars": (0.65, "S: heavy_crude_differentials_sourced.csv Mars 2025-01 trade month +0.65 vs WTI"),
    "poseidon": (0.65, "E: as Mars (candidates 'ESTIMATE (~Mars)')"),
    "sgc": (0.15, "E: Mars -0.50 (candidates range -1.5..0.5)"),
    "castilla": (-8.00, "E: midpoint of candidates range -10..-6 vs Brent"),
    "vasconia": (-4.50, "E: midpoint of candidates range -6.5..-2.5 vs Brent"),
    "napo": (-6.00, "E: midpoint of candidates range -8..-4 vs WTI"),
    "oriente": (-1.00, "S+E: midpoint of candidates range -3..+1 (2019 term +0.71 vs WTI, S)"),
    "basrah_heavy": (-4.50, "E: midpoint of candidates range -6..-3 vs Brent"),
    "basrah_medium": (-2.00, "E: midpoint of candidates range -3..-1 vs Brent"),
    "arab_heavy": (-3.50, "E: midpoint of candidates range -5..-2 vs Brent"),
    "arab_medium": (-2.00, "E: midpoint of candidates range -3..-1 vs Brent"),
    "buzios": (-1.50, "E: midpoint of candidates range -3..0 vs Brent"),
    "lula": (-0.75, "E: midpoint of candidates range -2..+0.5 vs Brent"),
    "liza": (0.00, "E: midpoint of candidates range -1..+1 vs Brent"),
    "hamaca": (-2.00, "E: midpoint of candidates range -4..0 vs WTI"),
}
# Venezuelan grades relative to Merey (E: differences of the candidates' range midpoints:
# Merey -12.25, Morichal -12.0, Zuata -11.0, Boscan -16.0 vs Brent).
VZ_REL_MEREY = {"merey16": 0.0, "merey16_chv": 0.0, "morichal": 0.25, "zuata": 1.25, "boscan": -3.75}
# The Lake Maracaibo grades have no price in the data: Merey + VZ slope x (API - Merey API), the slope
# being the least-squares fit of the candidates' midpoints of Boscan, Morichal, Merey and Zuata on
# their assay API (computed in vz_api_slope; ~0.53 $/bbl per degree API). E.
VZ_API_SLOPE_GRADES = ("boscan", "morichal", "merey16", "zuata")
# Canadian heavy grades relative to WCS: Cold Lake ~ parity (Argus 'WCS & CL trade ~parity at
# Houston', S), AWB WCS -0.5 (candidates E), Kearl ~WCS (candidates E). The pipeline grades take the
# USGC assessment of their regime; wcs_tmx takes WCS at Hardisty (its freight carries it to the Gulf).
CAN_REL_WCS = {"wcs": 0.0, "cold_lake": 0.0, "awb": -0.5, "kearl": 0.0}
# SCO: E midpoint-ish of the candidates range -1..+2 vs WTI at Edmonton, plus the regime's
# Hardisty -> USGC spread (USGC heavy assessment minus Hardisty).
SCO_DIFF_EDMONTON = 0.0
# Crudemonitor.ca 2021-10..2023-09 averages replace the older PRELIM Crude Monitor rows for sulfur (the
# cut yields stay those of the assay row); TAN comes from the same file.
CRUDEMONITOR_NAME = {"wcs": "Western Canadian Select", "wcs_tmx": "Western Canadian Select", "cold_lake": "Cold Lake",
                     "awb": "Access Western Blend", "kearl": "Kearl Lake", "sco": "Syncrude Sweet Premium"}

# Pemex formula: Maya = 0.65 x WTI Houston + 0.35 x ICE Brent + K (differentials file). K constants:
# latest sourced are June 2024 (Maya -10.15, Isthmus -4.10; read from the file in pemex_k); used for
# every regime (E after 2024).
#
# Sour grades whose only price is a candidates' midpoint (an ESTIMATE with no stated basis) are priced
# on the Gulf against Maya instead, the USGC heavy-sour grade with a sourced formula price: delivered =
# Maya delivered + PEMEX quality slope x (API - Maya API). The slope is Pemex's own Maya -> Isthmus K
# step per degree API, the same formula on the same day being a pure quality differential: (K Isthmus
# - K Maya) / (API Isthmus - API Maya) = 6.05 / 10.64 (Jun 2024) and 5.65 / 10.64 (Feb 2023), mean
# ~0.55 $/bbl per degree. Why: the midpoints put Basrah Heavy (25 API, 3.8 %S) delivered at WTI +2.7
# and Arab Heavy at WTI +1.7, above Mars (30 API, 1.9 %S, WTI +1.3 delivered, sourced) and $8-9 above
# Maya, and Castilla (17.6 API) $4 above Maya: a Gulf LP given such prices rejects them outright,
# although the US bought 0.2-0.4 million b/d of each origin in 2024-25. Saudi and Iraqi sales to the
# US are priced off the US sour index (ASCI), not Brent (general knowledge, not in the data). S+E.
# Oriente loses its 2019 term premium (+0.71 vs WTI, FOB to Shell, S but six years old) to this rule.
MAYA_PARITY_GRADES = ("hamaca", "castilla", "vasconia", "napo", "oriente", "basrah_heavy", "basrah_medium",
                      "arab_heavy", "arab_medium")
# HSFO 3 %S premium over Maya, USGC, 2025-05 average (product_and_byproduct_prices_sourced.csv).
HSFO_PREMIUM_OVER_MAYA = 4.20

# Stepped supply curve for PDVSA-marketed Venezuelan barrels (those that go to China and India
# when the US does not take them: 2023 China share 68 %, 2025-10 ~80 %, venezuela_timeline file).
# (share of availability, price adder $/bbl). E. Basis: tier 1 ~ the licensed 2026 trader volume
# (30-50 million bbl deal = 82-137 kb/d over a year); adders span the observed spread between
# USGC delivered offers of Venezuelan heavy in Jan-Feb 2026 (Brent -6.0 .. -9.5, a $3.5 range) and
# the ~$2 rise of Merey offers to China during the blockade (-15 -> -13); the last tranche (+5.0)
# is the price of pulling the last barrels away from Chinese independent refiners.
# Chevron-marketed grades carry no tiers: they are the JV partner's own barrels, shipped to the US.
VZ_TIERS = ((0.25, 0.0), (0.30, 1.5), (0.25, 3.0), (0.20, 5.0))
VZ_TIERED = ("merey16", "zuata", "morichal") + VZ_WEST_GRADES

# Logistics links (logistics_pipelines_freight.csv).
LINKS = (
    ("keystone", "Keystone (Hardisty -> Steele City -> Cushing)", 610.0,
     "S: logistics_pipelines_freight.csv Keystone ~590-622 (610 after 2022 optimisation)",
     ("wcs", "cold_lake", "awb", "kearl", "sco")),
    ("marketlink", "Marketlink / Keystone Gulf Coast (Cushing -> Nederland/Port Arthur, Houston)", 700.0,
     "S: logistics_pipelines_freight.csv Marketlink 700 (design ~750)",
     ("wcs", "cold_lake", "awb", "kearl", "sco")),
    ("trans_mountain", "Trans Mountain (Edmonton -> Westridge, Burnaby) after TMX", 890.0,
     "S: logistics_pipelines_freight.csv Trans Mountain system capacity 890", ("wcs_tmx",)),
)

# ------------------------------------------------------------------------------------------------
# Price regimes
# ------------------------------------------------------------------------------------------------
# Months averaged from fred_usgc_spot_prices_monthly_2020_2026.csv for each regime.
REGIMES = OrderedDict([
    ("p2026_hormuz", {"label": "Mar-Aug 2026 (Hormuz closed from 2026-02-28)",
                          "months": [f"2026-{m:02d}" for m in range(3, 9)]}),
    ("p2026_pre", {"label": "Jan-Feb 2026 (licensed Venezuelan sales, Hormuz still open)",
                       "months": ["2026-01", "2026-02"]}),
    ("p2025", {"label": "calendar 2025", "months": [f"2025-{m:02d}" for m in range(1, 13)]}),
    ("p2024", {"label": "calendar 2024", "months": [f"2024-{m:02d}" for m in range(1, 13)]}),
])
BASE_REGIME = "p2026_hormuz"

# Brent-WTI: FRED has WTI only to 2024-12. 2024: from FRED. 2025+: Brent M1 - WTI M1 averaged over
# Jan-Sep 2025 (futures_monthly_2019_2025_rtl.csv); the 2026 spread is not in the data: E = 2025.
# Houston - Cushing: futures file averages (2024: 12 months, 2025: Jan-Sep); 2026: E = 2025.

# Differentials that move with the regime. The numbers read from heavy_crude_differentials_sourced.csv
# are looked up by their date and grade cells (see canadian_usgc / merey_fob below), so the source
# column cites the file line.
#
# WCS at Hardisty (used for the Trans Mountain barrels, which are priced at Hardisty plus their toll
# and tanker freight): 2024 average ~-13.0 ('~4 narrower than 2024 average' of the 2025-05 -9.15
# settle), post-TMX average -12.00 for 2025, Jan 2026 settles -14.45 / -15.00 for 2026.
WCS_HARDISTY_2024 = -13.0
# Canadian pipeline grades on the Gulf Coast are priced at the USGC assessment, not Hardisty + a toll:
# 2024 = Houston WCS/Cold Lake 2024 Q2 -4.35; 2025 = mean of the Platts Cold Lake USGC assessments
# Feb/Apr/May 2025 (-13.57, -9.76, -9.45); 2026 = the Jan 2026 Hardisty settles plus the post-TMX
# Hardisty -> USGC spread (2025 USGC mean minus the post-TMX Hardisty average -12.00 = +1.07): no
# USGC quote for 2026 is in the data, and the Hardisty discount widened in Jan 2026 because of
# Venezuelan competition on the Gulf (differentials file note), i.e. it came from the USGC price.
# The old derivation (Hardisty + a 8.65 toll taken from a 2024 Q2 Houston quote and a 2024 Hardisty
# average) mixed periods and put Canadian heavy at WTI -3.35 on the 2025 coast, $7.6 above the
# Platts assessments.
# Merey 16 FOB Jose vs Brent: 2025 = the pre-blockade offer to China of Nov 2025 (-15; the -13 of
# Dec 2025 - Jan 2026 is a blockade price); 2024 = as 2025 (E, no 2024 quote). 2026: the midpoint of
# every USGC delivered quote of Jan-Feb 2026 (offers -6.00..-7.50 mid-Jan and -9.50 early Feb, US
# government sale terms -15 on 2026-01-23) = -10.50 delivered, less the 2.50 Venezuela freight =
# FOB -13.0, which is also the FOB offer to China of the same weeks (-13): the two markets net back
# to the same FOB price. The old value (-10.25 FOB, the midpoint of the asks only) left out the one
# transaction price and the note that refiners were resisting the asks.
# Propane: Mont Belvieu to 2024-12 (FRED). Later: E = the 2024 propane/WTI ratio x regime WTI.
# Coke, $/t FOB USGC 6.5 %S (product_and_byproduct_prices_sourced.csv).
COKE_USD_PER_T = {
    "p2024": (60.2, "S: price-watch 2024-Q3 65.49 / Q4 54.90 (mean)"),
    "p2025": (67.0, "S: Argus 2025-06-18 67 USD/t (also 2024-12-31 67)"),
    "p2026_pre": (61.33, "S+E: chemanalyst 2025-Q4 61.33 (latest in data) carried into 2026"),
    "p2026_hormuz": (61.33, "S+E: chemanalyst 2025-Q4 61.33 (latest in data) carried into 2026"),
}
# Asphalt: the Louisiana DOTD PG 64-22 index (a delivered/terminal index, USD/short ton) has three
# points in the data: 722 (2022-09), 636 (2023-01), 612 (2023-12). Frozen at 612 it was $111/bbl in
# every regime (+$42 over 2025 Brent). Indexed instead: asphalt $/bbl = ASPHALT_BRENT_RATIO x the
# regime's Brent, the ratio being the mean of (index / 5.5 bbl per short ton) / FRED Brent over the
# three months (1.46, 1.40, 1.43). E: asphalt follows crude in proportion; the index is delivered,
# so the refinery netback is lower by terminal and haulage costs that the data does not give.
ASPHALT_INDEX_POINTS = (("2022-09", 722.0), ("2023-01", 636.0), ("2023-12", 612.0))
# Naphtha: no USGC naphtha series in the data. E: Brent - 5.00 (petrochemical naphtha usually
# trades a few dollars under crude in the Atlantic Basin).
NAPHTHA_VS_BRENT = -5.00

# Coast-wide HSFO sales ceiling, kb/d. E: US residual fuel yield 4.2 % of refinery input (2007,
# refinery_fuel_loss.csv) has shrunk since IMO 2020 (HSFO only for scrubber ships); 250 kb/d is
# ~2.7 % of the modelled crude capacity. USGC fuel-oil imports were 213 kb/d in Jun 2025
# (product_and_byproduct_prices_sourced.csv): the coast is short of residue, not long.
HSFO_MAX_SALES = 250.0
# Beyond that, HSFO is exported (Europe/Asia bunker and power markets) at a discount: E, the
# USGC -> ARA/Singapore fuel-oil freight and the weaker netback, $5.00/bbl. The two products form a
# stepped demand curve for residue (the LP has no product tiers).
HSFO_EXPORT_DISCOUNT = 5.00

# ------------------------------------------------------------------------------------------------
# Residue trade (stream_transfers.csv, stream_purchases.csv)
# ------------------------------------------------------------------------------------------------
# Refineries pass residue to neighbours with coking room, and coking refineries import fuel oil as coker feed.
#
# Transfers. Who: a refinery whose diet class sells residue (no coker, or a light coker: coker/crude below
# RESIDUE_SENDER_MAX_COKER_RATIO, the DIET_CLASSES boundary) sends to a refinery built to coke more than its own
# light diet (coker/crude at or above it) in the same port or industrial cluster, plus one link per owner
# system where the owner has a sender and a coking sister plant on the water (same EIA `corporation`, checked
# below). Inland plants (Panhandle, Permian, New Mexico, East Texas, Arkansas) have no water route and no link;
# Hunt Tuscaloosa (Black Warrior River, ~350 river miles above Mobile) is no one's neighbour. The clusters are
# E (geography, general knowledge); the distances come from the EIA coordinates (S).
RESIDUE_CLUSTERS = OrderedDict([
    ("houston_texas_city", ("Houston Ship Channel, Baytown, Texas City and Freeport/Sweeny (Galveston Bay and the "
                            "GIWW)", ("valero_houston", "chevron_pasadena", "pemex_deer_park", "exxon_baytown",
                                      "marathon_galveston_bay", "valero_texas_city", "p66_sweeny"))),
    ("port_arthur_beaumont", ("Sabine-Neches Waterway (Port Arthur, Beaumont)",
                              ("motiva_port_arthur", "valero_port_arthur", "total_port_arthur", "exxon_beaumont"))),
    ("lake_charles", ("Calcasieu Ship Channel (Lake Charles, Westlake)",
                      ("citgo_lake_charles", "p66_lake_charles", "calcasieu_lake_charles"))),
    ("corpus_christi", ("Corpus Christi Inner Harbor (Refinery Row)",
                        ("valero_corpus_christi", "fhr_corpus_christi", "citgo_corpus_christi"))),
    ("mississippi_river", ("lower Mississippi, Baton Rouge to New Orleans, with Krotz Springs on the Atchafalaya "
                           "(Port Allen route)",
                           ("exxon_baton_rouge", "placid_port_allen", "marathon_garyville", "shell_norco",
                            "valero_st_charles", "pbf_chalmette", "valero_meraux", "delek_krotz_springs"))),
    ("mobile_pascagoula", ("Mobile Bay and Pascagoula (GIWW)", ("vertex_mobile", "chevron_pascagoula"))),
])
RESIDUE_SENDER_MAX_COKER_RATIO = 0.10
# Same-owner links across clusters: the sister coker with room nearest by water (E: choice of sister).
RESIDUE_SISTER_LINKS = (
    ("exxon_beaumont", "exxon_baton_rouge"),
    ("valero_houston", "valero_port_arthur"),
    ("valero_corpus_christi", "valero_texas_city"),
    ("marathon_galveston_bay", "marathon_garyville"),
    ("chevron_pasadena", "chevron_pascagoula"),
)
# What moves: the 525 C+ residue as the crude unit leaves it (vr_raw_X), which the receiver's vacuum unit takes and
# its coker then cokes; this is what the senders sell as HSFO now (atmospheric residue without vacuum
# distillation), so they need no vacuum room of their own, and the receiver's vacuum capacity counts the barrels.
# One row per carbon-residue class, since the model keeps the classes apart (their coker yields differ) and so
# would the barges (one cargo a barge).
RESIDUE_TRANSFER_STREAMS = ("vr_raw_lo", "vr_raw_md", "vr_raw_hi")
# How: heated inland tank barges on the Gulf Intracoastal Waterway and the lower Mississippi (residue moves at
# 250-300 F; no plant-to-plant residue pipelines are in the data). Each row is one term-chartered unit tow of two
# 30,000-bbl barges (the predominant inland tank-barge size; tows of 2-3 barges: general knowledge, not in the
# data) shuttling between the two docks; the row's capacity is what that tow moves a day, and the dual of a
# binding row is what a second tow would earn. Cost per barrel = the tow's day rate x round-trip days / cargo +
# handling. All E (general knowledge of the 2024-25 inland market: tows of this size charter for ~$20-30k/day
# with fuel; towboats make ~4-5 mph with traffic, locks and bridges; loading or discharging a heated residue
# barge takes ~8-12 h). The costs are small beside the residue-value gaps trade would close ($25-50/bbl), so they
# decide the route, hardly whether residue moves.
BARGE_TOW_KBBL = 60.0
BARGE_TOW_USD_PER_DAY = 25000.0
BARGE_MILES_PER_DAY = 100.0
BARGE_PORT_DAYS = 1.0  # loading + discharging, per round trip
BARGE_HANDLING_USD_PER_BBL = 0.35  # dock fees at both ends and keeping the cargo hot
# Water route over straight-line distance: GIWW and river miles run ~1.3-1.9 x the straight line (Baton Rouge -
# New Orleans: ~70 miles straight, ~130 river miles). E.
WATERWAY_CIRCUITY = 1.6
# Imported fuel oil as coker feed. Priced at the instance's HSFO price (Maya + 4.20, the USGC HSFO 3 %S quote of
# May 2025) plus the cost of landing a cargo at the refinery dock (E: lightering/discharge, inspection). The coast-
# wide limit is the USGC fuel-oil import volume of June 2025, 213 kb/d (product_and_byproduct_prices_sourced.csv
# l.6, read below): price and volume come from the same Argus/Kpler report, one observed point of the import
# supply (a flat curve up to it is E). What it is: fuel oil of RMG 380 quality (ISO 8217, process/product_specs.csv),
# whose micro carbon residue may be at most 18 wt% and density 991 kg/m3 (read below); the coker yields take
# those limits through the same Gary correlation as the residue pools, i.e. at the most coke RMG 380 allows (E:
# conservative). The stream has coker yields only: it is coker feed (no vacuum split - its cutter is coked with
# it, which costs coker room and errs against the import -, no asphalt, no resale as HSFO).
FO_IMPORT_DELIVERY_USD_PER_BBL = 0.50
FO_IMPORT_STREAM = "fo_import"
FO_IMPORT_ID = "fuel_oil_imports"
# No VGO (FCC feed) purchase: the data has no VGO price, and with FCCs ~50 % used the model values VGO at
# $90-165/bbl, so the volume bought would be whatever limit were assumed.

# Sensitivity on sour differentials in the Hormuz months (no quote for them is in the data): the closure
# takes Middle East sour barrels off the market, and a sour-supply shock on the Gulf narrows sour
# discounts. The one such episode in the data: USGC Cold Lake went from WTI -13.57 (Feb 2025) to -9.45
# (May 2025) as Venezuelan and Mexican supply fell (differentials file l.10, l.12 and the S&P article
# they cite) = +4.12. The scenario sour_discounts_narrower_2026 moves every grade of 1 %S or more by that.
SOUR_SENSITIVITY_S_MIN = 1.0

# ------------------------------------------------------------------------------------------------
# Policies
# ------------------------------------------------------------------------------------------------
VZ_CHEVRON_CAP_2026 = 300.0  # venezuela_timeline_volumes.csv 2026-03 'Chevron exports ~300 kb/d'
VZ_TRADERS_CAP_2026 = 137.0  # 2026-01-06/07 deal 30-50 million bbl: 50e6 bbl / 365 d = 137 kb/d (E: spread over a year)
VZ_CHEVRON_CAP_2025 = 120.0  # 2025-07 restricted Chevron authorization: ~120 kb/d exportable
IEEPA_CANADA_ENERGY_PCT = 10.0  # logistics file: 10 % on Canadian energy from 2025-03-04
IEEPA_MEXICO_PCT = 25.0  # logistics file: Mexico 25 % (same USMCA exemption)

# ================================================================================================


def fmt(x) -> str:
    """Deterministic number formatting: up to 4 decimals, no trailing zeros."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, str):
        return x
    if isinstance(x, bool):
        return str(x)
    if isinstance(x, int):
        return str(x)
    s = f"{x:.4f}".rstrip("0").rstrip(".")
    return "0" if s in ("-0", "") else s


def write_csv(out: Path, name: str, columns: list[str], rows: list[dict]) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for r in rows:
        w.writerow([fmt(r.get(c)) for c in columns])
    (out / f"{name}.csv").write_text(buf.getvalue(), encoding="utf-8")


def api_to_sg(api: float) -> float:
    return 141.5 / (131.5 + api)


def sg_to_api(sg: float) -> float:
    return 141.5 / sg - 131.5


class Data:
    def __init__(self, root: Path):
        self.root = root
        def r(name: str) -> pd.DataFrame:
            return pd.read_csv(root / name, dtype=str, keep_default_na=False)

        self.eia = r("eia_refineries_padd3_2021.csv")
        self.prelim = r("crude_assays_prelim_selected.csv")
        self.noaa = r("crude_quality_noaa_adios.csv")
        self.fred = r("fred_usgc_spot_prices_monthly_2020_2026.csv")
        self.fut = r("futures_monthly_2019_2025_rtl.csv")
        self.srs = r("process/straightrun_sulfur_ratios.csv")
        self.diffs = r("heavy_crude_differentials_sourced.csv")
        self.cand = r("crude_candidates_lp_summary.csv")
        self.cmon = r("canadian_crude_quality_crudemonitor_2021-2023avg.csv")
        self.byproducts = r("product_and_byproduct_prices_sourced.csv")
        self.specs = r("process/product_specs.csv")

    def spec(self, product: str, prop: str) -> tuple[float, str]:
        """The value of the process/product_specs.csv row with this product and property, and 'l.N'."""
        hits = self.specs.index[(self.specs["product"] == product) & (self.specs["property"] == prop)]
        if len(hits) != 1:
            raise SystemExit(f"process/product_specs.csv: no single row {product!r} / {prop!r}")
        i = int(hits[0])
        return float(self.specs.loc[i, "value"]), f"l.{i + 2}"

    def fuel_oil_imports(self) -> tuple[float, str, str]:
        """USGC fuel-oil imports (kb/d) in the note of the HSFO-over-Maya row, its month, and 'l.N'."""
        hits = self.byproducts.index[self.byproducts["product"] == "HSFO 3%S premium over Maya"]
        if len(hits) != 1:
            raise SystemExit("product_and_byproduct_prices_sourced.csv: no single 'HSFO 3%S premium over Maya' row")
        i = int(hits[0])
        m = re.search(r"imports record low (\d+(?:\.\d+)?) kb/d (\w+ \d{4})", self.byproducts.loc[i, "note"])
        if m is None:
            raise SystemExit("product_and_byproduct_prices_sourced.csv: no fuel-oil import volume in the HSFO row note")
        return float(m.group(1)), m.group(2), f"l.{i + 2}"

    def diff(self, period: str, grade: str) -> tuple[list[float], str]:
        """The numbers in the differential cell of the row with this date/period and grade, and 'l.N'."""
        hits = self.diffs.index[(self.diffs["date_or_period"] == period) & (self.diffs["grade"] == grade)]
        if len(hits) != 1:
            raise SystemExit(f"heavy_crude_differentials_sourced.csv: no single row {period!r} / {grade!r}")
        i = int(hits[0])
        cell = self.diffs.loc[i, "differential_usd_bbl"].replace(" to ", " ")
        return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?", cell)], f"l.{i + 2}"

    def crudemonitor(self, name: str) -> tuple[pd.Series, int]:
        hits = self.cmon.index[self.cmon["crude"] == name]
        i = int(hits[0])
        return self.cmon.loc[i], i + 2

    def prelim_row(self, assay: str) -> tuple[int, pd.Series]:
        hits = self.prelim.index[self.prelim["assay"] == assay]
        if len(hits) == 0:
            raise SystemExit(f"assay {assay!r} not in crude_assays_prelim_selected.csv")
        i = int(hits[0])
        return i + 2, self.prelim.loc[i]  # file line number (header = line 1)

    def fred_mean(self, column: str, months: list[str]) -> float:
        sub = self.fred[self.fred["month"].isin(months)]
        vals = [float(v) for v in sub[column] if v != ""]
        if len(vals) != len(months):
            raise SystemExit(f"FRED {column}: {len(vals)} values for {len(months)} months")
        return sum(vals) / len(vals)

    def fut_mean(self, column: str, months: list[str]) -> float:
        sub = self.fut[self.fut["month"].isin(months)]
        vals = [float(v) for v in sub[column] if v != ""]
        return sum(vals) / len(vals)


# ------------------------------------------------------------------------------------------------


def build_assays(d: Data):
    """Per crude: api, sulfur, mcr, cut volume fractions (our cuts), VR MCR/API/S, source text."""
    out = OrderedDict()
    for cid, c in CRUDES.items():
        if c["assay"] is not None:
            line, row = d.prelim_row(c["assay"])

            def f(k: str, row=row) -> float:
                return float(row[k])

            cuts = OrderedDict([
                ("lsr", f("LSR_vol_pct")), ("naphtha", f("NAPHTHA_vol_pct")), ("kero", f("KEROSENE_vol_pct")),
                ("diesel", f("DIESEL_vol_pct")), ("ago", f("AGO_vol_pct")),
                ("vgo", f("LVGO_vol_pct") + f("HVGO_vol_pct")), ("vr", f("VR_vol_pct")),
            ])
            out[cid] = {"api": f("API"), "sulfur": f("sulfur_wtpct"), "mcr": f("MCR_wtpct"), "cuts": cuts,
                            "vr_mcr": f("VR_MCR_wtpct"), "vr_api": f("VR_API"), "vr_s": f("VR_sulfur_wtpct"),
                            "src": f"S: crude_assays_prelim_selected.csv line {line} '{c['assay']}'"}
            if cid in CRUDEMONITOR_NAME:
                cm, cm_line = d.crudemonitor(CRUDEMONITOR_NAME[cid])
                out[cid]["sulfur"] = float(cm["sulfur_wtpct"])
                out[cid]["src"] += (f"; sulfur: canadian_crude_quality_crudemonitor_2021-2023avg.csv line {cm_line} "
                                    "(2021-10..2023-09 average)")
        else:  # Boscan from NOAA AD02042
            hits = d.noaa.index[d.noaa["noaa_id"] == "AD02042"]
            i = int(hits[0])
            r = d.noaa.loc[i]
            api, s = float(r["API"]), float(r["sulfur_wtpct"])
            cum = [float(r[k]) for k in ("cum_pct_at_330F", "cum_pct_at_480F", "cum_pct_at_650F", "cum_pct_at_1000F")]
            m_naph, m_kero = cum[0], cum[1] - cum[0]
            m_dsl, m_go, m_vr = cum[2] - cum[1], cum[3] - cum[2], 100.0 - cum[3]
            sg = float(r["density15_kgm3"]) / 1000.0
            v_naph = m_naph / BOSCAN_SG_CUTS["naphtha"]
            v_kero = m_kero / BOSCAN_SG_CUTS["kero"]
            v_dsl = m_dsl / BOSCAN_SG_CUTS["diesel"]
            v_go = m_go / BOSCAN_SG_CUTS["gasoil"]
            v_tot = 100.0 / sg
            v_vr = v_tot - (v_naph + v_kero + v_dsl + v_go)
            vr_sg = m_vr / v_vr
            k = 100.0 / v_tot
            cuts = OrderedDict([
                ("lsr", 0.2 * v_naph * k), ("naphtha", 0.8 * v_naph * k),
                ("kero", (v_kero + 0.4 * v_dsl) * k), ("diesel", 0.6 * v_dsl * k),
                ("ago", 0.3 * v_go * k), ("vgo", 0.7 * v_go * k), ("vr", v_vr * k),
            ])
            vr_mass_frac = m_vr / 100.0
            out[cid] = {"api": api, "sulfur": s, "mcr": BOSCAN_MCR, "cuts": cuts, "vr_mcr": BOSCAN_MCR / vr_mass_frac,
                            "vr_api": sg_to_api(vr_sg), "vr_s": s * BOSCAN_VR_SULFUR_RATIO,
                            "src": f"S+E: crude_quality_noaa_adios.csv line {i + 2} AD02042 (mass cuts -> vol with "
                                "BOSCAN_SG_CUTS; MCR = BOSCAN_MCR)"}
    return out


def vr_class(vr_mcr: float) -> str:
    for name, lo, hi in VR_CLASSES:
        if lo <= vr_mcr < hi:
            return name
    raise ValueError(vr_mcr)


def coker_yields(ccr: float, vr_sg: float, coke_wt_max: float = COKE_WT_MAX) -> OrderedDict:
    coke = min(1.6 * ccr / 100, coke_wt_max)
    gas = (7.8 + 0.144 * ccr) / 100
    naph = (11.29 + 0.343 * ccr) / 100
    cgo = 1.0 - coke - gas - naph
    lpg_wt = gas * COKER_LPG_SHARE_OF_GAS
    dry_wt = gas - lpg_wt
    coke_bbl_per_bbl = coke * vr_sg * M3_PER_BBL / T_PER_SHORT_TON * COKE_BBL_PER_SHORT_TON
    cgo_vol = cgo * vr_sg / SG_CGO
    return OrderedDict([
        ("lpg", lpg_wt * vr_sg / SG_LPG),
        ("coker_naphtha", naph * vr_sg / SG_COKER_NAPHTHA),
        ("lcgo", cgo_vol * LCGO_SHARE_OF_CGO),
        ("cgo", cgo_vol * (1 - LCGO_SHARE_OF_CGO)),
        ("coke", coke_bbl_per_bbl),
        ("loss", dry_wt * vr_sg),
    ])


def pemex_k(d: Data) -> tuple[float, float, float, str]:
    """Maya and Isthmus K of Jun 2024, and the Maya -> Isthmus K step per degree API (mean of the two dates)."""
    f = "heavy_crude_differentials_sourced.csv"
    steps = []
    out = {}
    for period in ("2024-06 (June 2024 K)", "2023-02 (Feb 2023 K)"):
        hits = d.diffs.index[(d.diffs["date_or_period"] == period) & (d.diffs["grade"] == "Maya")]
        i = int(hits[0])
        k_maya = float(re.findall(r"[-+]?\d+(?:\.\d+)?", d.diffs.loc[i, "differential_usd_bbl"])[0])
        k_isth = float(re.search(r"Isthmus K=([-+]?\d+(?:\.\d+)?)", d.diffs.loc[i, "note"]).group(1))
        steps.append(k_isth - k_maya)
        out[period] = (k_maya, k_isth, i + 2)
    k_maya, k_isth, line = out["2024-06 (June 2024 K)"]
    line23 = out["2023-02 (Feb 2023 K)"][2]
    return k_maya, k_isth, sum(steps) / len(steps), f"{f} l.{line} (Jun 2024), l.{line23} (Feb 2023)"


def canadian_prices(d: Data) -> tuple[dict, dict]:
    """Per regime: (WCS at Hardisty, source) and (Canadian heavy delivered USGC, source), vs WTI."""
    f = "heavy_crude_differentials_sourced.csv"
    post_tmx, l_post = d.diff("2024-06 to ~2025-06 (post-TMX)", "WCS")
    jan7, l_jan7 = d.diff("2026-01-07", "WCS")
    jan8, l_jan8 = d.diff("2026-01-08", "WCS (Feb delivery)")
    spring, l_spring = d.diff("2025-05 (spring)", "WCS (June delivery)")
    hou24, l_hou24 = d.diff("2024 Q2 (quarter-to-date Apr 2024)", "Canadian heavy (WCS/CL)")
    pts = [d.diff(p, "Cold Lake") for p in ("2025-02 (month)", "2025-04 (month)", "2025-05 (MTD)")]
    usgc25 = sum(v[0] for v, _ in pts) / len(pts)
    l_usgc = ", ".join(line for _, line in pts)
    hardisty26 = (jan7[0] + jan8[0]) / 2
    spread = usgc25 - post_tmx[0]
    hardisty = {
        "p2024": (WCS_HARDISTY_2024, f"S+E: {f} {l_spring} '~4 narrower than 2024 average' of {spring[0]:g} (=> ~-13)"),
        "p2025": (post_tmx[0], f"S: {f} {l_post} WCS Hardisty post-TMX average 2024-06..2025-06"),
        "p2026_pre": (hardisty26, f"S: {f} {l_jan7}/{l_jan8} WCS Hardisty Jan 2026 settles {jan7[0]:g} / "
                                  f"{jan8[0]:g} (mean)"),
        "p2026_hormuz": (hardisty26, f"S+E: {f} {l_jan7}/{l_jan8} Jan 2026 Hardisty settles carried into the "
                                     "Hormuz months (no later quote)"),
    }
    usgc = {
        "p2024": (hou24[0], f"S: {f} {l_hou24} Canadian heavy (WCS/CL) Houston 2024 Q2 {hou24[0]:g} vs WTI"),
        "p2025": (usgc25, f"S: {f} {l_usgc} Platts Cold Lake USGC Feb/Apr/May 2025 "
                          f"({', '.join(f'{v[0]:g}' for v, _ in pts)}; mean) vs WTI"),
        "p2026_pre": (hardisty26 + spread, f"S+E: {f} {l_jan7}/{l_jan8} Hardisty Jan 2026 {hardisty26:g} + post-TMX "
                                           f"Hardisty->USGC spread {spread:+.2f} (2025 USGC mean {usgc25:.2f} minus "
                                           f"{l_post} {post_tmx[0]:g})"),
        "p2026_hormuz": (hardisty26 + spread, f"S+E: as Jan-Feb 2026 (Hardisty {hardisty26:g} + spread {spread:+.2f}), "
                                              "carried into the Hormuz months (no later quote)"),
    }
    return hardisty, usgc


def merey_fob(d: Data) -> dict:
    """Per regime: Merey 16 FOB Jose vs Brent, with its source."""
    f = "heavy_crude_differentials_sourced.csv"
    pre, l_pre = d.diff("2025-11 (pre-blockade)", "Merey 16")
    china, l_china = d.diff("2025-12 to 2026-01", "Merey 16")
    quotes = [d.diff("2026-01 (mid)", "Venezuelan heavy"), d.diff("2026-02 (early)", "Venezuelan heavy"),
              d.diff("2026-01-23", "Venezuelan crude (US govt sales)")]
    vals = [v for q, _ in quotes for v in q]
    delivered = (min(vals) + max(vals)) / 2
    fr = FREIGHT["venezuela"][0]
    lines = "/".join(line for _, line in quotes)
    fob26 = delivered - fr
    txt26 = (f"S+E: {f} {lines} midpoint of the USGC delivered quotes Jan-Feb 2026 ({max(vals):g}..{min(vals):g}: "
             f"offers and the US government sale terms) {delivered:g} less freight {fr:g}; = the FOB offer to China "
             f"{china[0]:g} of {l_china}")
    return {
        "p2024": (pre[0], f"E: as 2025 (no 2024 quote in the shared data): {f} {l_pre}"),
        "p2025": (pre[0], f"S: {f} {l_pre} Merey FOB offer to China, Nov 2025 (pre-blockade) {pre[0]:g}"),
        "p2026_pre": (fob26, txt26),
        "p2026_hormuz": (fob26, txt26.replace("S+E:", "S+E: carried into the Hormuz months (no later quote);")),
    }


def vz_api_slope(d: Data, assays: dict) -> tuple[float, str]:
    """Least-squares $/bbl per degree API of the candidates' Venezuelan midpoints (vs Brent)."""
    names = {"boscan": "Boscan", "morichal": "Morichal 16", "merey16": "Merey 16",
             "zuata": "Zuata 20 (Petrozuata/Petrocedeno blend)"}
    xs, ys = [], []
    for cid in VZ_API_SLOPE_GRADES:
        row = d.cand[d.cand["grade"] == names[cid]].iloc[0]
        xs.append(assays[cid]["api"])
        ys.append((float(row["diff_low_usd_bbl"]) + float(row["diff_high_usd_bbl"])) / 2)
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    return slope, (f"E: Merey + {slope:.3f} $/bbl per API degree x (API - Merey API): least-squares fit of the "
                   f"candidates' midpoints of {', '.join(VZ_API_SLOPE_GRADES)} (crude_candidates_lp_summary.csv)")


def asphalt_ratio(d: Data) -> tuple[float, str]:
    ratios = [idx / ASPHALT_BBL_PER_SHORT_TON / d.fred_mean("Brent_spot_usd_bbl", [m])
              for m, idx in ASPHALT_INDEX_POINTS]
    r = sum(ratios) / len(ratios)
    pts = ", ".join(f"{m} {idx:g}" for m, idx in ASPHALT_INDEX_POINTS)
    return r, (f"S+E: {r:.3f} x Brent: mean ratio of the LA DOTD PG 64-22 index ({pts} $/short ton, "
               f"product_and_byproduct_prices_sourced.csv l.7-8) / 5.5 bbl per short ton to FRED Brent of the same "
               "months (ASPHALT_INDEX_POINTS; delivered index, no netback deduction: E)")


def build(d: Data, out: Path) -> dict:
    assays = build_assays(d)
    tables: dict[str, tuple[list[str], list[dict]]] = {}

    # ---------------- price regimes ----------------
    spread_2025 = d.fut_mean("Brent_ICE_M1_usd_bbl", [f"2025-{m:02d}" for m in range(1, 10)]) - \
        d.fut_mean("WTI_NYMEX_M1_usd_bbl", [f"2025-{m:02d}" for m in range(1, 10)])
    hou_2025 = d.fut_mean("WTI_Houston_vs_Cushing_diff_M1_usd_bbl", [f"2025-{m:02d}" for m in range(1, 10)])
    hou_2024 = d.fut_mean("WTI_Houston_vs_Cushing_diff_M1_usd_bbl", [f"2024-{m:02d}" for m in range(1, 13)])
    m2024 = REGIMES["p2024"]["months"]
    propane_2024 = d.fred_mean("MontBelvieu_propane_spot_usd_gal", m2024) * GAL_PER_BBL
    wti_2024 = d.fred_mean("WTI_Cushing_spot_usd_bbl", m2024)
    propane_ratio = propane_2024 / wti_2024
    hardisty, can_usgc = canadian_prices(d)
    merey = merey_fob(d)
    slope, slope_src = vz_api_slope(d, assays)
    asph_ratio, asph_src = asphalt_ratio(d)
    maya_k, isth_k, k_step, k_src = pemex_k(d)
    api_maya, api_isth = assays["maya"]["api"], assays["isthmus"]["api"]
    q_slope = k_step / (api_isth - api_maya)

    prices: dict[str, dict] = {}
    for reg, spec in REGIMES.items():
        months = spec["months"]
        brent = d.fred_mean("Brent_spot_usd_bbl", months)
        if reg == "p2024":
            wti = wti_2024
            wti_src = "S: FRED DCOILWTICO mean " + f"{months[0]}..{months[-1]}"
            hou = hou_2024
            hou_src = "S: futures file WTI Houston-Cushing M1 mean 2024"
            lpg = propane_2024
            lpg_src = "S: FRED DPROPANEMBTX (Mont Belvieu propane) mean 2024 x 42"
        else:
            wti = brent - spread_2025
            wti_src = (f"S+E: Brent ({months[0]}..{months[-1]}) - {spread_2025:.2f} (Brent M1 - WTI M1 mean "
                       "Jan-Sep 2025, futures file; the spread after Sep 2025 is not in the data)")
            hou = hou_2025
            hou_src = "S(+E after 2025): futures file WTI Houston-Cushing M1 mean Jan-Sep 2025"
            lpg = propane_ratio * wti
            lpg_src = (f"E: 2024 propane/WTI ratio {propane_ratio:.3f} (FRED) x regime WTI (no propane after 2024)")
        gas = d.fred_mean("USGC_conv_gasoline_regular_spot_usd_gal", months) * GAL_PER_BBL
        ulsd = d.fred_mean("USGC_ULSD_spot_usd_gal", months) * GAL_PER_BBL
        jet = d.fred_mean("USGC_jet_kero_spot_usd_gal", months) * GAL_PER_BBL
        maya_vs_wti = 0.65 * hou + 0.35 * (brent - wti) + maya_k
        isth_vs_wti = 0.65 * hou + 0.35 * (brent - wti) + isth_k
        maya_fob = wti + maya_vs_wti
        coke_t, coke_src = COKE_USD_PER_T[reg]
        span = f"{months[0]}..{months[-1]}"
        prices[reg] = {
            "brent": (brent, f"S: FRED DCOILBRENTEU mean {span}"),
            "wti": (wti, wti_src),
            "hou": (hou, hou_src),
            "products": OrderedDict([
                ("gasoline", (gas, f"S: FRED DGASUSGULF (USGC conventional regular) mean {span} x 42")),
                ("jet", (jet, f"S: FRED DJFUELUSGULF (USGC jet kerosene) mean {span} x 42")),
                ("ulsd", (ulsd, f"S: FRED DDFUELUSGULF (USGC ULSD) mean {span} x 42")),
                ("lpg", (lpg, lpg_src)),
                ("naphtha", (brent + NAPHTHA_VS_BRENT, f"E: Brent {span} + NAPHTHA_VS_BRENT ({NAPHTHA_VS_BRENT})")),
                ("hsfo", (maya_fob + HSFO_PREMIUM_OVER_MAYA,
                          f"S+E: Maya FOB (Pemex formula, K {maya_k:g} of Jun 2024, {k_src}) + 4.20 HSFO premium "
                          "over Maya (2025-05, Argus: product_and_byproduct_prices_sourced.csv l.6)")),
                ("hsfo_export", (maya_fob + HSFO_PREMIUM_OVER_MAYA - HSFO_EXPORT_DISCOUNT,
                                 "S+E: hsfo price - HSFO_EXPORT_DISCOUNT (E)")),
                ("asphalt", (asph_ratio * brent, asph_src + f"; Brent {span}")),
                ("coke", (coke_t * T_PER_SHORT_TON / COKE_BBL_PER_SHORT_TON,
                          f"{coke_src}; x 0.907185 t/short ton / 5.0 bbl per short ton (COKE_BBL_PER_SHORT_TON, E)")),
            ]),
            "diffs": OrderedDict(),
            "fo_import": (maya_fob + HSFO_PREMIUM_OVER_MAYA + FO_IMPORT_DELIVERY_USD_PER_BBL,
                          "S+E: the regime's HSFO price (Maya FOB + 4.20, product_and_byproduct_prices_sourced.csv "
                          f"l.6) + FO_IMPORT_DELIVERY_USD_PER_BBL {FO_IMPORT_DELIVERY_USD_PER_BBL:g} (E)"),
            "alky_opex": (ALKY_UTILITIES + ALKY_PURCHASED_IC4 * lpg,
                       (f"S+E: utilities 1.72 (unit_utilities_costs.csv) + purchased isobutane "
                        f"{ALKY_PURCHASED_IC4} bbl x LPG price")),
        }
        dd = prices[reg]["diffs"]
        dd["wti"] = (hou, hou_src + " (WTI delivered Houston)")
        dd["maya"] = (maya_vs_wti, (f"S+E: 0.65 x Houston diff + 0.35 x (Brent - WTI) + K {maya_k:g} (Pemex formula; "
                                    f"K of Jun 2024, {k_src})"))
        dd["isthmus"] = (isth_vs_wti, f"S+E: Pemex formula with Isthmus K {isth_k:g} (Jun 2024, {k_src})")
        usgc, usgc_src = can_usgc[reg]
        for cid, rel in CAN_REL_WCS.items():
            dd[cid] = (usgc + rel, f"{usgc_src} (delivered USGC)" + (f"; {rel:+.2f} vs WCS (E)" if rel else ""))
        hard, hard_src = hardisty[reg]
        dd["wcs_tmx"] = (hard, hard_src + " (at Hardisty; freight = Trans Mountain + tanker)")
        dd["sco"] = (SCO_DIFF_EDMONTON + usgc - hard,
                     f"E: SCO_DIFF_EDMONTON {SCO_DIFF_EDMONTON:g} at Edmonton + the regime's Hardisty->USGC spread "
                     f"{usgc - hard:+.2f} (USGC heavy minus Hardisty, above)")
        mer, mer_src = merey[reg]
        for cid, rel in VZ_REL_MEREY.items():
            dd[cid] = (mer + rel, mer_src + (f"; {rel:+.2f} vs Merey (E: candidates midpoints)" if rel else ""))
        for cid in VZ_WEST_GRADES:
            rel = slope * (assays[cid]["api"] - assays["merey16"]["api"])
            dd[cid] = (mer + rel, f"{slope_src}: {rel:+.2f}; Merey: {mer_src}")
        for cid, (v, s) in DIFF_FIXED.items():
            dd[cid] = (v, s)
        maya_delivered = maya_vs_wti + FREIGHT["mexico"][0]
        for cid in MAYA_PARITY_GRADES:
            adj = q_slope * (assays[cid]["api"] - api_maya)
            fr_c = FREIGHT[CRUDES[cid]["freight"]][0]
            dd[cid] = (maya_delivered + adj - fr_c,
                       f"S+E: Maya parity on the Gulf (MAYA_PARITY_GRADES): Maya delivered WTI {maya_delivered:+.2f} "
                       f"+ {q_slope:.3f} $/API (Pemex Maya->Isthmus K step {k_step:.2f}, {k_src}) x "
                       f"(API {assays[cid]['api']:g} - {api_maya:g}) = {adj:+.2f}, less freight {fr_c:g}; vs WTI "
                       f"(replaces the candidates' midpoint {DIFF_FIXED[cid][0]:g} vs {CRUDES[cid]['marker']})")

    # ---------------- markers ----------------
    base = prices[BASE_REGIME]
    markers = [
        {"marker_id": "brent", "name": "Brent (Dated, FRED spot)", "price_usd_per_bbl": base["brent"][0],
             "source": base["brent"][1]},
        {"marker_id": "wti", "name": "WTI Cushing", "price_usd_per_bbl": base["wti"][0], "source": base["wti"][1]},
    ]
    tables["markers"] = (["marker_id", "name", "price_usd_per_bbl", "source"], markers)

    # ---------------- crudes ----------------
    crudes = []
    for cid, c in CRUDES.items():
        a = assays[cid]
        fr, fr_src = FREIGHT[c["freight"]]
        diff, diff_src = base["diffs"][cid]
        av = AVAILABILITY[cid]
        src = (f"S+E: assay {a['src']}; differential {diff_src}; freight {fr_src}; "
               f"TAN {c['tan'][1]}; availability E (AVAILABILITY, README)")
        crudes.append({
            "crude_id": cid, "name": c["name"], "origin": c["origin"], "operator": c["operator"],
            "api_deg": round(a["api"], 2), "sulfur_wt_pct": round(a["sulfur"], 3), "tan_mg_koh_per_g": c["tan"][0],
            "marker_id": "wti" if cid in MAYA_PARITY_GRADES else c["marker"],
            "differential_usd_per_bbl": round(diff, 4), "freight_usd_per_bbl": fr,
            "availability_kbd": av, "source": src,
        })
    tables["crudes"] = (["crude_id", "name", "origin", "operator", "api_deg", "sulfur_wt_pct", "tan_mg_koh_per_g",
                         "marker_id", "differential_usd_per_bbl", "freight_usd_per_bbl", "availability_kbd",
                         "source"], crudes)

    # ---------------- crude tiers ----------------
    tiers = []
    for cid in VZ_TIERED:
        av = AVAILABILITY[cid]
        for n, (share, adder) in enumerate(VZ_TIERS, start=1):
            tiers.append({"crude_id": cid, "tier": n, "volume_kbd": round(av * share, 4),
                                                                          "price_adder_usd_per_bbl": adder,
                              "source": "E: VZ_TIERS (Asian competition for PDVSA barrels; README)"})
    tables["crude_tiers"] = (["crude_id", "tier", "volume_kbd", "price_adder_usd_per_bbl", "source"], tiers)

    # ---------------- VR classes ----------------
    members = {name: [] for name, _, _ in VR_CLASSES}
    for cid, a in assays.items():
        if cid in ("merey16_chv", "wcs_tmx"):
            continue  # duplicates of merey16 / wcs: count each assay once
        members[vr_class(a["vr_mcr"])].append(cid)
    vr_props = {}
    for name, members_ in members.items():
        w = [assays[c]["cuts"]["vr"] for c in members_]
        tw = sum(w)
        ccr = sum(assays[c]["vr_mcr"] * wi for c, wi in zip(members_, w)) / tw
        sg = sum(api_to_sg(assays[c]["vr_api"]) * wi for c, wi in zip(members_, w)) / tw
        s = sum(assays[c]["vr_s"] for c in members_) / len(members_)
        vr_props[name] = {"ccr": ccr, "sg": sg, "sulfur": s, "members": members_}

    # ---------------- streams ----------------
    S = OrderedDict()

    def stream(sid, name, kind="intermediate", source=""):
        S[sid] = {"stream_id": sid, "name": name, "kind": kind, "source": source}

    stream("lsr", "Light straight-run naphtha (IBP-80 C)", source="S: PRELIM cut LSR")
    stream("naphtha_raw", "Straight-run naphtha 80-180 C", source="S: PRELIM cut NAPHTHA")
    stream("kero_raw", "Straight-run kerosene 180-290 C, sour crudes", source="S: PRELIM cut KEROSENE")
    stream("kero_sw", f"Straight-run kerosene 180-290 C, crudes below {SWEET_KERO_CRUDE_S_MAX} %S (jet after merox)",
           source="S+E: PRELIM cut KEROSENE; SWEET_KERO_CRUDE_S_MAX")
    stream("diesel_raw", "Straight-run diesel 290-340 C", source="S: PRELIM cut DIESEL")
    stream("ago", "Atmospheric gas oil 340-400 C", source="S: PRELIM cut AGO")
    stream("vgo_raw", "Vacuum gas oil 400-525 C in the atmospheric residue (before the vacuum unit)",
           source="S: PRELIM cuts LVGO+HVGO")
    for name, lo, hi in VR_CLASSES:
        p = vr_props[name]
        stream(name.replace("vr_", "vr_raw_"),
                            f"Vacuum residue 525 C+ in atmospheric residue, VR MCR {lo:g}-{hi:g} wt%",
               source="S: PRELIM cut VR; class by VR_MCR_wtpct (VR_CLASSES)")
    stream("vgo", "Vacuum gas oil (vacuum unit product)", source="vacuum unit")
    for name, lo, hi in VR_CLASSES:
        p = vr_props[name]
        stream(name, f"Vacuum residue, VR MCR {lo:g}-{hi:g} wt% (pool mean CCR {p['ccr']:.1f}, SG {p['sg']:.3f}): "
               + " ".join(p["members"]), source="vacuum unit; class means from assays")
    fo_mcr, fo_mcr_line = d.spec("residual marine fuel RMG 380", "micro carbon residue")
    fo_rho, fo_rho_line = d.spec("residual marine fuel RMG 380", "density at 15 C")
    fo_src = (f"S+E: RMG 380 limits, process/product_specs.csv {fo_mcr_line} micro carbon residue <= {fo_mcr:g} wt% "
              f"and {fo_rho_line} density <= {fo_rho:g} kg/m3, taken as the feed's CCR and SG (the most coke RMG 380 "
              "allows)")
    stream(FO_IMPORT_STREAM, f"Imported high-sulfur fuel oil (RMG 380 quality: MCR <= {fo_mcr:g} wt%), bought as coker "
           "feed", source=fo_src)
    stream("naphtha_ht", "Hydrotreated naphtha (reformer feed)", source="hydrotreater")
    stream("kero_ht", "Hydrotreated kerosene", source="hydrotreater")
    stream("diesel_ht", "Hydrotreated diesel (ULSD component)", source="hydrotreater")
    stream("fcc_naphtha", "FCC naphtha, untreated", source="FCC")
    stream("fcc_gasoline", "FCC gasoline after post-treater (Tier 3 sulfur)", source="hydrotreater")
    stream("fcc_lpg", "FCC C3/C4 (olefinic; alkylation feed)", source="FCC")
    stream("lco", "Light cycle oil, untreated", source="FCC")
    stream("lco_ht", "Hydrotreated light cycle oil", source="hydrotreater")
    stream("slurry", "FCC slurry / decant oil", source="FCC")
    stream("coker_naphtha", "Coker naphtha, untreated", source="coker")
    stream("lcgo", "Light coker gas oil (diesel range), untreated", source="coker; E: LCGO_SHARE_OF_CGO")
    stream("lcgo_ht", "Hydrotreated light coker gas oil", source="hydrotreater")
    stream("cgo", "Heavy coker gas oil (FCC / hydrocracker feed)", source="coker")
    stream("coke", f"Petroleum coke, fuel grade, in bbl at {COKE_BBL_PER_SHORT_TON:g} bbl per short ton",
           source="coker; E: COKE_BBL_PER_SHORT_TON")
    stream("lpg", "Saturated LPG (C3/C4) from coker, hydrocracker, reformer, alkylation", source="units")
    stream("hc_naphtha", "Hydrocracker naphtha", source="hydrocracker")
    stream("hc_jet", "Hydrocracker kerosene", source="hydrocracker")
    stream("hc_diesel", "Hydrocracker diesel", source="hydrocracker")
    stream("hc_bottoms", "Hydrocracker unconverted oil", source="hydrocracker")
    stream("reformate", "Reformate", source="reformer")
    stream("alkylate", "Alkylate", source="alkylation")
    stream("asphalt", "Paving asphalt (PG grades)", source="asphalt unit")
    stream("loss", "Fuel gas, coke burn, hydrogen and volume losses (fuel-oil-equivalent bbl)", kind="loss",
           source="E: loss volumes in fuel-oil-equivalent bbl")
    tables["streams"] = (["stream_id", "name", "kind", "source"], list(S.values()))

    # ---------------- crude yields ----------------
    cy = []
    for cid, a in assays.items():
        cuts = a["cuts"]
        tot = sum(cuts.values())
        kero_stream = "kero_sw" if a["sulfur"] < SWEET_KERO_CRUDE_S_MAX else "kero_raw"
        mapping = [("lsr", "lsr"), ("naphtha", "naphtha_raw"), ("kero", kero_stream), ("diesel", "diesel_raw"),
                   ("ago", "ago"), ("vgo", "vgo_raw"), ("vr", vr_class(a["vr_mcr"]).replace("vr_", "vr_raw_"))]
        vals = [(sid, round(cuts[k] / tot, 4)) for k, sid in mapping]
        # close rounding on the largest cut so each crude sums to exactly 1
        err = round(1.0 - sum(v for _, v in vals), 4)
        j = max(range(len(vals)), key=lambda i: vals[i][1])
        vals[j] = (vals[j][0], round(vals[j][1] + err, 4))
        for sid, v in vals:
            if v > 0:
                cy.append({"crude_id": cid, "stream_id": sid, "yield_vol_frac": v,
                               "source": a["src"] + f" (normalised from {tot:.2f} vol%)"})
        if cid == "boscan":
            # a zero row so that the boscan_high_carbon_class sensitivity can move the residue to vr_raw_hi
            vr_sid, vr_v = vals[-1]
            cy.append({"crude_id": cid, "stream_id": "vr_raw_hi", "yield_vol_frac": 0.0,
                           "source": "E: zero row for the boscan_high_carbon_class sensitivity"})
            extra_boscan = [f"crude_yields.boscan/{vr_sid}.yield_vol_frac = 0",
                            f"crude_yields.boscan/vr_raw_hi.yield_vol_frac = {fmt(vr_v)}"]
    tables["crude_yields"] = (["crude_id", "stream_id", "yield_vol_frac", "source"], cy)

    # ---------------- qualities ----------------
    tables["qualities"] = (["quality_id", "name", "unit", "source"], [
        {"quality_id": "aki", "name": "Antiknock index (R+M)/2", "unit": "-", "source": "product_specs.csv"},
        {"quality_id": "cetane_index", "name": "Cetane index", "unit": "-", "source": "product_specs.csv"},
        {"quality_id": "sulfur", "name": "Sulfur (blended by volume: approximation)", "unit": "wt %",
             "source": "product_specs.csv"},
        {"quality_id": "kero_share", "name": "Kerosene-range share (flash-point proxy)", "unit": "vol frac",
             "source": "E: ULSD_KERO_SHARE_MAX"},
        {"quality_id": "viscosity_vbi_50c",
             "name": "Viscosity at 50 C as the Refutas blending index 14.534 ln(ln(cSt + 0.8)) + 10.975 "
                     "(blended by volume: approximation, Refutas blends by mass)",
             "unit": "VBI (cSt at 50 C indexed)", "source": "product_specs.csv RMG 380; E: HSFO_VISCOSITY_MAX_CST_50C"},
    ])
    sq = []
    for sid, (v, s) in AKI.items():
        sq.append({"stream_id": sid, "quality_id": "aki", "value": v, "source": s})
    for sid, (v, s) in CETANE.items():
        sq.append({"stream_id": sid, "quality_id": "cetane_index", "value": v, "source": s})
    for sid in ULSD_COMPONENTS:
        sq.append({"stream_id": sid, "quality_id": "kero_share", "value": 1.0 if sid in KERO_RANGE else 0.0,
                       "source": "E: kerosene-range stream = 1, diesel-range = 0"})
    # sulfur of straight-run pools from the median cut/crude ratios
    ratio = {r["cut"]: float(r["median_ratio"]) for _, r in d.srs.iterrows()}
    sour = [c for c in assays if c not in ("merey16_chv", "wcs_tmx")]
    mean_s_all = sum(assays[c]["sulfur"] for c in sour) / len(sour)
    mean_s_sour = [assays[c]["sulfur"] for c in sour if assays[c]["sulfur"] >= SWEET_KERO_CRUDE_S_MAX]
    mean_s_sour = sum(mean_s_sour) / len(mean_s_sour)
    mean_s_sweet = [assays[c]["sulfur"] for c in sour if assays[c]["sulfur"] < SWEET_KERO_CRUDE_S_MAX]
    mean_s_sweet = sum(mean_s_sweet) / len(mean_s_sweet)
    sr_src = "S+E: straightrun_sulfur_ratios.csv median {r} x mean crude S {m:.2f} of the modelled crudes"
    sulfur = OrderedDict([
        ("kero_raw", (ratio["Kerosene"] * mean_s_sour, sr_src.format(r="Kerosene", m=mean_s_sour))),
        ("kero_sw", (ratio["Kerosene"] * mean_s_sweet, sr_src.format(r="Kerosene", m=mean_s_sweet))),
        ("diesel_raw", (ratio["Diesel"] * mean_s_all, sr_src.format(r="Diesel", m=mean_s_all))),
        ("ago", (ratio["AGO"] * mean_s_all, sr_src.format(r="AGO", m=mean_s_all))),
        ("vgo_raw", (ratio["HVGO"] * mean_s_all, sr_src.format(r="HVGO", m=mean_s_all))),
        ("vgo", (ratio["HVGO"] * mean_s_all, sr_src.format(r="HVGO", m=mean_s_all))),
    ])
    for name, _, _ in VR_CLASSES:
        p = vr_props[name]
        txt = f"S+E: mean assay VR sulfur of the pool's crudes ({', '.join(p['members'])})"
        sulfur[name.replace("vr_", "vr_raw_")] = (p["sulfur"], txt)
        sulfur[name] = (p["sulfur"], txt)
    for sid, (v, s) in CRACKED_SULFUR.items():
        sulfur[sid] = (v, s)
    for sid, (v, s) in sulfur.items():
        sq.append({"stream_id": sid, "quality_id": "sulfur", "value": round(v, 3), "source": s})
    missing = [sid for sid in HSFO_COMPONENTS if sid not in VISCOSITY_CST_50C]
    if missing:
        raise SystemExit(f"VISCOSITY_CST_50C has no viscosity for the HSFO components {missing}")
    for sid in HSFO_COMPONENTS:
        v, basis = VISCOSITY_CST_50C[sid]
        sq.append({"stream_id": sid, "quality_id": "viscosity_vbi_50c", "value": round(refutas_vbi(v), 4),
                   "source": f"E: VISCOSITY_CST_50C {v:g} cSt at 50 C -> Refutas VBI; {basis}"})
    tables["stream_qualities"] = (["stream_id", "quality_id", "value", "source"], sq)

    # ---------------- unit yields ----------------
    uy = []
    extra: dict = {"coke_uncapped": [], "boscan_hi": extra_boscan}
    feb25, _ = d.diff("2025-02 (month)", "Cold Lake")
    may25, _ = d.diff("2025-05 (MTD)", "Cold Lake")
    extra["sour_shift"] = round(may25[0] - feb25[0], 4)
    extra["sour_narrower"] = [f"crudes.{cid}.differential_usd_per_bbl += {fmt(extra['sour_shift'])}"
                              for cid in CRUDES if assays[cid]["sulfur"] >= SOUR_SENSITIVITY_S_MIN]

    def uyield(ut, feed, prods: dict, src: str):
        tot = sum(prods.values())
        if not (1.0 - 1e-9 <= tot <= 1.25 + 1e-9):
            raise SystemExit(f"unit yields {ut}/{feed} sum to {tot}")
        for p, v in prods.items():
            uy.append({"unit_type": ut, "feed_stream_id": feed, "product_stream_id": p, "yield_vol_frac": round(v, 4),
                           "source": src})

    uyield("vacuum", "vgo_raw", {"vgo": 1.0}, "E: vacuum unit passes the cut through (capacity counts the feed)")
    for name, _, _ in VR_CLASSES:
        uyield("vacuum", name.replace("vr_", "vr_raw_"), {name: 1.0},
               "E: vacuum unit passes the cut through (capacity counts the feed)")
    for name, _, _ in VR_CLASSES:
        p = vr_props[name]
        y = coker_yields(p["ccr"], p["sg"])
        # round, keeping sum within bounds
        uyield("coker", name, y,
               f"S+E: Gary carbon-residue correlation (unit_yield_correlations.csv) at pool CCR {p['ccr']:.2f} wt%, "
               f"VR SG {p['sg']:.3f}; coke capped at COKE_WT_MAX {COKE_WT_MAX}; vol via SG naphtha 0.771, CGO 0.934, "
               "LPG 0.55; coke at 5.0 bbl/short ton; dry gas = loss (FOE)")
        uyield("asphalt", name, {"asphalt": 1.0}, "E: asphalt unit blows/blends vacuum residue to paving grade")
        if 1.6 * p["ccr"] / 100 > COKE_WT_MAX:
            free = coker_yields(p["ccr"], p["sg"], coke_wt_max=1.0)
            extra["coke_uncapped"] += [f"unit_yields.coker/{name}/{prod}.yield_vol_frac = {fmt(round(v, 4))}"
                                       for prod, v in free.items()]
    uyield("coker", FO_IMPORT_STREAM, coker_yields(fo_mcr, fo_rho / 1000.0),
           f"S+E: Gary carbon-residue correlation (unit_yield_correlations.csv) at CCR {fo_mcr:g} wt%, SG "
           f"{fo_rho / 1000.0:g} ({fo_src.split(': ', 1)[1]}); vol via SG naphtha 0.771, CGO 0.934, LPG 0.55; coke at "
           "5.0 bbl/short ton; dry gas = loss (FOE); the whole barrel is coked, cutter included (E)")
    fcc_src = "S+E: unit_yields.csv fcc PRELIM worked balance (Gary Figs 6.18-6.27), 75 LV% conversion"
    fcc_vgo = dict(FCC_YIELDS_VGO, loss=FCC_LOSS_VGO)
    for feed in ("vgo", "ago", "hc_bottoms"):
        uyield("fcc", feed, fcc_vgo, fcc_src + ("" if feed == "vgo" else f"; {feed} cracked like VGO (E)"))
    uyield("fcc", "cgo", dict(FCC_YIELDS_CGO, loss=FCC_LOSS_CGO), "E: FCC_YIELDS_CGO (~65 % conversion)")
    hc = dict(HC_YIELDS, loss=HC_LOSS)
    hc_src = "S+E: unit_yields.csv hydrocracker_vgo 'VGO rho 920' volume rows (PRELIM DHCU)"
    for feed in ("vgo", "ago", "cgo", "lco"):
        uyield("hydrocracker", feed, hc, hc_src + ("" if feed == "vgo" else f"; {feed} assumed to crack like VGO (E)"))
    ref = {"reformate": REFORMATE_YIELD, "lpg": REFORMER_LPG}
    ref["loss"] = round(1.0 - REFORMATE_YIELD - REFORMER_LPG, 4)
    for feed in ("naphtha_ht", "hc_naphtha"):
        uyield("reformer", feed, ref, "S+E: unit_yields.csv cat_reformer Fahim RON 98 (N+2A 50) 0.7826 -> 0.78; "
               "LPG from 6.4 wt% off-gas x 0.705 C3/C4; H2 + gas + shrink = loss")
    ht_src = "S+E: unit_yields.csv hydrotreater rows (wt 0.99-0.997; 'vol frac ~1.0')"
    for feed, prod in (("naphtha_raw", "naphtha_ht"), ("coker_naphtha", "naphtha_ht"), ("kero_raw", "kero_ht"),
                       ("kero_sw", "kero_ht"), ("diesel_raw", "diesel_ht"), ("lco", "lco_ht"), ("lcgo", "lcgo_ht"),
                       ("fcc_naphtha", "fcc_gasoline")):
        uyield("hydrotreater", feed, {prod: HT_YIELD}, ht_src)
    uyield("alkylation", "fcc_lpg", {"alkylate": ALKY_ALKYLATE, "lpg": ALKY_LPG},
           "S+E: olefin 60 % of FCC C3/C4 (offgas_composition_prelim.csv) x 1.74 vol alkylate/vol olefin "
           "(unit_yields.csv Albright); isobutane bought (operating cost)")
    tables["unit_yields"] = (["unit_type", "feed_stream_id", "product_stream_id", "yield_vol_frac", "source"], uy)

    # ---------------- refineries and units ----------------
    eia = d.eia.copy()
    eia["site_id_i"] = eia["site_id"].astype(int)
    by_site = {int(r["site_id"]): (i, r) for i, r in eia.iterrows()}

    def cap(site: int, col: str) -> float:
        v = float(by_site[site][1][col])
        for other, target in MERGE_SITES.items():
            if target == site:
                v += float(by_site[other][1][col])
        return v

    refineries, units = [], []
    plants: dict[str, dict] = {}  # what the residue links need: coker/crude, coordinates, owner, the EIA line
    modelled_cd = 0.0
    for site, (rid, name, operator) in REFINERY_SITES.items():
        line = by_site[site][0] + 2
        merged = [o for o, t in MERGE_SITES.items() if t == site]
        site_txt = f"eia_refineries_padd3_2021.csv line {line} site {site}" + \
            (" + " + ", ".join(f"line {by_site[o][0] + 2} site {o}" for o in merged) if merged else "")
        if site in CRUDE_CD_OVERRIDES:
            crude_cd, note = CRUDE_CD_OVERRIDES[site]
            crude_src = f"S: {site_txt} {note}"
        else:
            crude_cd = cap(site, "atm_crude_dist_kbsd") * CALENDAR_PER_STREAM_DAY
            crude_src = f"S+E: {site_txt} atm_crude_dist_kbsd x {CALENDAR_PER_STREAM_DAY} (calendar day)"
        modelled_cd += crude_cd
        coker_cd = cap(site, "coking_kbsd") * CALENDAR_PER_STREAM_DAY
        ratio_c = coker_cd / crude_cd
        for lo, api_min, api_max, s_max, label in DIET_CLASSES:  # noqa: B007 (the class found is used below)
            if ratio_c >= lo:
                break
        eia_row = by_site[site][1]
        plants[rid] = {"ratio": ratio_c, "lat": float(eia_row["lat"]), "lon": float(eia_row["lon"]),
                       "corporation": eia_row["corporation"], "line": line}
        refineries.append({
            "refinery_id": rid, "name": name, "operator": operator, "crude_capacity_kbd": round(crude_cd, 2),
            "crude_unit_cost_usd_per_bbl": CRUDE_UNIT_COST, "api_min_deg": api_min, "api_max_deg": api_max,
            "sulfur_max_wt_pct": s_max,
            "tan_max_mg_koh_per_g": TAN_MAX,
            "source": f"{crude_src}; diet window E: DIET_CLASSES '{label}' (coker/crude {ratio_c:.3f}); "
                   f"TAN_MAX E; crude-unit cost S+E unit_utilities_costs.csv 0.29",
        })
        for ut, col in UNIT_COLUMNS.items():
            sd = cap(site, col)
            if sd <= 0:
                continue
            c = sd * CALENDAR_PER_STREAM_DAY
            alky_txt = ""
            if ut == "alkylation":
                c = c / ALKY_ALKYLATE
                alky_txt = f" / {ALKY_ALKYLATE} (product -> feed basis, E)"
            row = {"refinery_id": rid, "unit_id": ut, "unit_type": ut, "capacity_kbd": round(c, 2),
                       "source": f"S+E: {site_txt} {col} {sd:g} x {CALENDAR_PER_STREAM_DAY}{alky_txt}"}
            if ut == "alkylation":
                row["operating_cost_usd_per_bbl"] = round(base["alky_opex"][0], 4)
                row["source"] += "; opex " + base["alky_opex"][1]
            else:
                opex, osrc = UNIT_OPEX[ut]
                row["operating_cost_usd_per_bbl"] = opex
                row["source"] += "; opex " + osrc
            units.append(row)
    tables["refineries"] = (["refinery_id", "name", "operator", "crude_capacity_kbd", "crude_unit_cost_usd_per_bbl",
                             "api_min_deg", "api_max_deg", "sulfur_max_wt_pct", "tan_max_mg_koh_per_g", "source"],
                          refineries)
    tables["units"] = (["refinery_id", "unit_id", "unit_type", "capacity_kbd", "operating_cost_usd_per_bbl",
                        "source"], units)

    # active PADD 3 crude capacity (calendar day) for the coverage statement
    active_cd = 0.0
    for site, (_i, r) in by_site.items():
        note = r["status_note"]
        if any(k in note for k in ("shut", "exclude", "idled")) or site in CLOSED_SITES_UNSOURCED:
            continue
        sd = float(r["atm_crude_dist_kbsd"])
        if site in CRUDE_CD_OVERRIDES:
            active_cd += CRUDE_CD_OVERRIDES[site][0]
        else:
            active_cd += sd * CALENDAR_PER_STREAM_DAY

    # ---------------- products ----------------
    pnames = {
        "gasoline": "Gasoline blendstock (USGC conventional regular, CBOB basis)",
        "jet": "Jet fuel / kerosene", "ulsd": "Ultra-low-sulfur diesel", "lpg": "LPG (propane-priced)",
        "naphtha": "Naphtha (petrochemical feed / export)",
        "hsfo": "High-sulfur fuel oil RMG 380 (3.5 %S, 380 cSt at 50 C), USGC market",
        "hsfo_export": "High-sulfur fuel oil RMG 380 (3.5 %S, 380 cSt at 50 C), exported beyond the USGC market",
        "asphalt": "Paving asphalt", "coke": "Petroleum coke, fuel grade (bbl at 5 bbl/short ton)",
    }
    products = []
    for pid, (v, s) in base["products"].items():
        row = {"product_id": pid, "name": pnames[pid], "price_usd_per_bbl": round(v, 4), "source": s}
        if pid == "hsfo":
            row["max_sales_kbd"] = HSFO_MAX_SALES
            row["source"] += "; max sales E: HSFO_MAX_SALES"
        products.append(row)
    tables["products"] = (["product_id", "name", "price_usd_per_bbl", "min_sales_kbd", "max_sales_kbd", "source"],
                          products)

    bc = []

    def comp(pid, sids, src):
        for sid in sids:
            bc.append({"product_id": pid, "stream_id": sid, "source": src})

    comp("gasoline", ["lsr", "naphtha_ht", "reformate", "fcc_gasoline", "alkylate", "hc_naphtha"],
         "E: gasoline pool (no butane blending modelled)")
    comp("naphtha", ["lsr", "naphtha_raw", "naphtha_ht", "hc_naphtha", "coker_naphtha"],
         "E: naphtha sold to petrochemicals / export")
    comp("jet", ["kero_ht", "kero_sw", "hc_jet"], "E: jet pool; sour kerosene must be hydrotreated (0.30 wt% S limit)")
    comp("ulsd", list(ULSD_COMPONENTS),
         "E: ULSD pool, all hydrotreated (15 ppm)")
    comp("lpg", ["lpg", "fcc_lpg"], "E: LPG pool")
    comp("hsfo", list(HSFO_COMPONENTS),
         "E: HSFO = residue + cutter stocks; atmospheric residue may be sold without vacuum distillation")
    comp("hsfo_export", list(HSFO_COMPONENTS), "E: as hsfo")
    comp("asphalt", ["asphalt"], "asphalt unit product")
    comp("coke", ["coke"], "coker product")
    tables["blend_components"] = (["product_id", "stream_id", "recipe_vol_frac", "source"], bc)

    tables["blend_specs"] = (["product_id", "quality_id", "min_value", "max_value", "source"], [
        {"product_id": "gasoline", "quality_id": "aki", "min_value": 84.0,
             "source": "S: product_specs.csv sub-octane CBOB regular (neat) typical 84 (87 after 10 % ethanol)"},
        {"product_id": "ulsd", "quality_id": "cetane_index", "min_value": 40.0,
             "source": "S: product_specs.csv ULSD cetane index min 40"},
        {"product_id": "ulsd", "quality_id": "kero_share", "max_value": ULSD_KERO_SHARE_MAX,
             "source": "E: ULSD_KERO_SHARE_MAX (flash-point proxy)"},
        {"product_id": "hsfo", "quality_id": "sulfur", "max_value": HSFO_SULFUR_MAX,
             "source": "S: product_specs.csv HSFO 380 3.5 mass % (volume-blended here: approximation)"},
        {"product_id": "hsfo_export", "quality_id": "sulfur", "max_value": HSFO_SULFUR_MAX,
             "source": "S: product_specs.csv HSFO 380 3.5 mass % (volume-blended here: approximation)"},
    ] + [
        {"product_id": pid, "quality_id": "viscosity_vbi_50c",
             "max_value": round(refutas_vbi(HSFO_VISCOSITY_MAX_CST_50C), 4),
             "source": f"S+E: product_specs.csv RMG 380 (ISO 8217:2012) <= {HSFO_VISCOSITY_MAX_CST_50C:g} cSt at 50 C "
                       "as a Refutas VBI (blended by volume: approximation, E)"}
        for pid in ("hsfo", "hsfo_export")
    ])

    # ---------------- freight (inland surcharge) ----------------
    fr = []
    pipeline_or_local = {"canada_pipe", "us_houston"}
    for rid in INLAND_REFINERIES:
        for cid, c in CRUDES.items():
            if c["freight"] in pipeline_or_local:
                continue
            f0, fsrc = FREIGHT[c["freight"]]
            fr.append({"crude_id": cid, "refinery_id": rid,
                       "freight_usd_per_bbl": round(f0 + INLAND_SEABORNE_SURCHARGE, 4),
                           "source": f"{fsrc} + INLAND_SEABORNE_SURCHARGE {INLAND_SEABORNE_SURCHARGE} (E)"})
    tables["freight"] = (["crude_id", "refinery_id", "freight_usd_per_bbl", "source"], fr)

    # ---------------- links and routes ----------------
    links, routes = [], []
    for lid, name, capv, src, crude_ids in LINKS:
        links.append({"link_id": lid, "name": name, "capacity_kbd": capv, "source": src})
        for cid in crude_ids:
            routes.append({"route_id": f"{lid}_{cid}", "link_id": lid, "crude_id": cid,
                               "source": "E: every pipeline barrel of this grade to the coast uses the link"})
    tables["links"] = (["link_id", "name", "capacity_kbd", "source"], links)
    tables["routes"] = (["route_id", "link_id", "origin", "crude_id", "operator", "refinery_id", "source"], routes)

    # ---------------- policies (base case = licensed 2026, Hormuz closed) ----------------
    pol = [
        {"rule_id": "vz_chevron_licence_2026", "kind": "cap", "origin": "Venezuela", "operator": "Chevron",
             "volume_kbd": VZ_CHEVRON_CAP_2026,
             "description": "Chevron's licensed Venezuelan exports to the US after January 2026",
             "source": "S: venezuela_timeline_volumes.csv 2026-03 'Chevron exports ~300 kb/d in Mar 2026'"},
        {"rule_id": "vz_traders_licence_2026", "kind": "cap", "origin": "Venezuela", "operator": "PDVSA",
             "volume_kbd": VZ_TRADERS_CAP_2026,
             "description": "PDVSA barrels sold to the US under the January 2026 deal (Vitol/Trafigura licences)",
             "source": "S+E: venezuela_timeline_volumes.csv 2026-01-06/07 30-50 million bbl; 50e6/365 d (E)"},
        {"rule_id": "hormuz_closed_iraq", "kind": "ban", "origin": "Iraq",
             "description": "Strait of Hormuz effectively closed from 2026-02-28: Iraqi grades cannot load",
             "source": "S: logistics_pipelines_freight.csv Strait of Hormuz row; Iraq ~94 % of exports via Hormuz"},
        {"rule_id": "hormuz_closed_saudi", "kind": "ban", "origin": "Saudi Arabia",
             "description": "Strait of Hormuz closed: Arab Heavy/Medium load in the Gulf (Yanbu bypass capacity "
                         "assumed taken by Europe/Asia)",
             "source": "S+E: logistics file Hormuz + East-West pipeline rows; Yanbu allocation E"},
    ]
    tables["policies"] = (["rule_id", "kind", "origin", "crude_id", "operator", "refinery_id", "volume_kbd",
                           "tariff_pct", "tariff_usd_per_bbl", "description", "source"], pol)

    # ---------------- residue trade ----------------
    tables["stream_transfers"] = (["transfer_id", "stream_id", "from_refinery_id", "to_refinery_id",
                                   "cost_usd_per_bbl", "capacity_kbd", "source"], residue_transfers(plants))
    fo_kbd, fo_month, fo_line = d.fuel_oil_imports()
    fo_price, fo_price_src = base["fo_import"]
    tables["stream_purchases"] = (["purchase_id", "stream_id", "refinery_id", "price_usd_per_bbl", "min_kbd",
                                   "max_kbd", "source"], [
        {"purchase_id": FO_IMPORT_ID, "stream_id": FO_IMPORT_STREAM, "refinery_id": "",
         "price_usd_per_bbl": round(fo_price, 4), "min_kbd": 0.0, "max_kbd": fo_kbd,
         "source": f"{fo_price_src}; max: S: product_and_byproduct_prices_sourced.csv {fo_line} USGC fuel-oil imports "
                   f"{fo_kbd:g} kb/d in {fo_month} (Kpler, the report of the +4.20 premium), coast-wide: one offer to "
                   "every refinery with a coker (the stream is coker feed only)"},
    ])

    # ---------------- write ----------------
    for name, (cols, rows) in tables.items():
        write_csv(out, name, cols, rows)
    write_toml(out, prices, modelled_cd, active_cd, extra)
    return {"tables": tables, "prices": prices, "vr_props": vr_props, "modelled_cd": modelled_cd,
            "active_cd": active_cd,
                "assays": assays}


def waterway_miles(a: dict, b: dict) -> float:
    """Great-circle miles between two plants' EIA coordinates x WATERWAY_CIRCUITY."""
    p1, p2 = math.radians(a["lat"]), math.radians(b["lat"])
    dp, dl = p2 - p1, math.radians(b["lon"] - a["lon"])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 3958.8 * math.asin(math.sqrt(h)) * WATERWAY_CIRCUITY


def residue_links(plants: dict) -> list[tuple[str, str, str]]:
    """(sender, receiver, why) of every residue link: cluster neighbours, then the same-owner links."""
    links = []
    for _cid, (label, members) in RESIDUE_CLUSTERS.items():
        for a in members:
            if plants[a]["ratio"] >= RESIDUE_SENDER_MAX_COKER_RATIO:
                continue
            for b in members:
                if plants[b]["ratio"] >= RESIDUE_SENDER_MAX_COKER_RATIO:
                    links.append((a, b, f"E: RESIDUE_CLUSTERS {label}"))
    for a, b in RESIDUE_SISTER_LINKS:
        if plants[a]["corporation"] != plants[b]["corporation"]:
            raise SystemExit(f"RESIDUE_SISTER_LINKS {a} -> {b}: different owners in the EIA file")
        if plants[a]["ratio"] >= RESIDUE_SENDER_MAX_COKER_RATIO or plants[b]["ratio"] < RESIDUE_SENDER_MAX_COKER_RATIO:
            raise SystemExit(f"RESIDUE_SISTER_LINKS {a} -> {b}: not a sender and a coker with room by the ratio rule")
        if any(x == a and y == b for x, y, _ in links):
            raise SystemExit(f"RESIDUE_SISTER_LINKS {a} -> {b} is a cluster link already")
        links.append((a, b, f"S+E: same owner ({plants[a]['corporation']}, eia_refineries_padd3_2021.csv "
                            f"l.{plants[a]['line']} and l.{plants[b]['line']}): RESIDUE_SISTER_LINKS"))
    return links


def residue_transfers(plants: dict) -> list[dict]:
    """One row per link and residue class: a heated-barge tow, its cost per barrel and what it moves a day."""
    rows = []
    for a, b, why in residue_links(plants):
        miles = waterway_miles(plants[a], plants[b])
        days = BARGE_PORT_DAYS + 2 * miles / BARGE_MILES_PER_DAY
        cost = BARGE_TOW_USD_PER_DAY * days / (BARGE_TOW_KBBL * 1000.0) + BARGE_HANDLING_USD_PER_BBL
        capacity = BARGE_TOW_KBBL / days
        for sid in RESIDUE_TRANSFER_STREAMS:
            rows.append({
                "transfer_id": f"{a}_to_{b}_{sid.rsplit('_', 1)[1]}", "stream_id": sid,
                "from_refinery_id": a, "to_refinery_id": b, "cost_usd_per_bbl": round(cost, 2),
                "capacity_kbd": round(capacity, 1),
                "source": (f"{why}; S+E: {miles:.0f} water miles (EIA coordinates, l.{plants[a]['line']} and "
                           f"l.{plants[b]['line']}, x WATERWAY_CIRCUITY {WATERWAY_CIRCUITY:g}); E: one heated-barge "
                           f"tow of {BARGE_TOW_KBBL:g} kbbl at ${BARGE_TOW_USD_PER_DAY:,.0f}/d, {days:.2f}-day round "
                           f"trip ({BARGE_PORT_DAYS:g} d at the docks, {BARGE_MILES_PER_DAY:g} miles/d) + "
                           f"{BARGE_HANDLING_USD_PER_BBL:g} handling (BARGE_*)"),
            })
    return rows


def regime_overrides(prices: dict, reg: str) -> list[str]:
    """Overrides that turn the base price regime into `reg` (only values that differ)."""
    base, p = prices[BASE_REGIME], prices[reg]
    out = []
    for m in ("brent", "wti"):
        if round(p[m][0], 4) != round(base[m][0], 4):
            out.append(f"markers.{m}.price_usd_per_bbl = {fmt(p[m][0])}")
    for pid, (v, _) in p["products"].items():
        if round(v, 4) != round(base["products"][pid][0], 4):
            out.append(f"products.{pid}.price_usd_per_bbl = {fmt(v)}")
    for cid, (v, _) in p["diffs"].items():
        if round(v, 4) != round(base["diffs"][cid][0], 4):
            out.append(f"crudes.{cid}.differential_usd_per_bbl = {fmt(v)}")
    if round(p["fo_import"][0], 4) != round(base["fo_import"][0], 4):
        out.append(f"stream_purchases.{FO_IMPORT_ID}.price_usd_per_bbl = {fmt(p['fo_import'][0])}")
    if round(p["alky_opex"][0], 4) != round(base["alky_opex"][0], 4):
        out.append(f"units[unit_type=alkylation].operating_cost_usd_per_bbl = {fmt(p['alky_opex'][0])}")
    return out


def toml_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def toml_policy(p: dict) -> str:
    parts = []
    for k, v in p.items():
        parts.append(f"{k} = {toml_str(v) if isinstance(v, str) else fmt(v)}")
    return "{" + ", ".join(parts) + "}"


def write_toml(out: Path, prices: dict, modelled_cd: float, active_cd: float, extra: dict) -> None:
    L = []
    L.append('name = "gulf_coast_2026"')
    L.append(f'description = """US Gulf Coast (PADD 3) crude slate in 2026: {len(REFINERY_SITES)} refineries (every '
             f'active coking refinery and the large non-coking ones), {len(CRUDES)} crude grades: Venezuelan Merey 16, '
             'Boscan, Hamaca, Zuata, Morichal and six Lake Maracaibo grades (README: which Venezuelan assays are left '
             'out and why), Canadian pipeline and Trans Mountain barrels, Maya, Colombian, Ecuadorian, Middle East, '
             'Brazilian, Guyanese and US Gulf grades. Base data = the licensed-2026 case: Venezuelan sales under '
             'the post-January-2026 licences, IEEPA tariffs gone, Strait of Hormuz closed, March-August 2026 '
             'prices. Built by build/build_instance.py from the public data in build/data (a copy of the shared data '
             'folder, with its SOURCES.md); see README.md for every number\'s '
             'source."""')
    L.append("")
    L.append("[basis]")
    L.append('volume = "kb/d, calendar day"')
    L.append(f'capacity = "EIA stream-day capacities (Jan 1 2021) x {CALENDAR_PER_STREAM_DAY} = calendar day; '
             'sourced calendar-day figures for Motiva Port Arthur, ExxonMobil Beaumont, Valero Port Arthur"')
    L.append('currency = "US$ per barrel, nominal"')
    L.append(f'price_period = "base: {REGIMES[BASE_REGIME]["label"]}; scenarios switch to Jan-Feb 2026, 2025 or '
             '2024 monthly means"')
    L.append(f'coverage = "{modelled_cd:.0f} kb/cd modelled of {active_cd:.0f} kb/cd active PADD 3 crude capacity '
             f'({100 * modelled_cd / active_cd:.1f} %)"')
    L.append("")
    L.append("[sources]")
    L.append('eia = "EIA-820 Refinery Capacity Report, EIA Energy Atlas layer as of Jan 1 2021 '
             '(eia_refineries_padd3_2021.csv) with closures/expansions in its status_note"')
    L.append('assays = "PRELIM v1.6 assay inventory (crude_assays_prelim_selected.csv); NOAA ADIOS for Boscan; '
             'crudemonitor.ca and ExxonMobil/BP assays for TAN"')
    L.append('prices = "FRED/EIA USGC spot series (fred_usgc_spot_prices_monthly_2020_2026.csv), futures '
             '(futures_monthly_2019_2025_rtl.csv), dated differentials (heavy_crude_differentials_sourced.csv), '
             'coke/asphalt/HSFO (product_and_byproduct_prices_sourced.csv)"')
    L.append('policy = "venezuela_timeline_volumes.csv, logistics_pipelines_freight.csv"')
    L.append('process = "process/ (PRELIM v1.6 / Gary & Handwerk unit yields, specs, blend properties): '
             'engineering estimates"')
    L.append("")

    def scen(sid, desc, extends=None, overrides=(), add=(), drop=()):
        L.append(f"[scenarios.{sid}]")
        L.append(f"description = {toml_str(desc)}")
        if extends:
            L.append(f"extends = {toml_str(extends)}")
        L.append("overrides = [" + ("" if not overrides else "\n" + "".join(f"  {toml_str(o)},\n" for o in overrides))
                 + "]")
        if add:
            L.append("add_policies = [\n" + "".join(f"  {toml_policy(p)},\n" for p in add) + "]")
        if drop:
            L.append("drop_policies = [" + ", ".join(toml_str(x) for x in drop) + "]")
        L.append("")

    vz_2026 = ["vz_chevron_licence_2026", "vz_traders_licence_2026"]
    hormuz = ["hormuz_closed_iraq", "hormuz_closed_saudi"]
    sanctions_2025_policies = [
        {"rule_id": "vz_pdvsa_sanctioned_2025", "kind": "ban", "origin": "Venezuela", "operator": "PDVSA",
             "description": "OFAC sanctions: no PDVSA-marketed barrels to the US in 2025",
             "source": "venezuela_timeline_volumes.csv 2025-02-26/03-04 and 2025-05-27 rows"},
        {"rule_id": "vz_chevron_restricted_2025", "kind": "cap", "origin": "Venezuela", "operator": "Chevron",
             "volume_kbd": VZ_CHEVRON_CAP_2025,
             "description": "Restricted Chevron authorization (late Jul 2025): ~120 kb/d exportable",
             "source": "venezuela_timeline_volumes.csv 2025-07 row"},
    ]
    tariffs_2025 = [
        {"rule_id": "ieepa_canada_energy_2025", "kind": "tariff", "origin": "Canada",
         "tariff_pct": IEEPA_CANADA_ENERGY_PCT,
             "description": "IEEPA tariff on Canadian energy at the statutory rate on every barrel (sensitivity: "
                         "in force, USMCA-compliant entries were exempt from 2025-03-07)",
             "source": "logistics_pipelines_freight.csv US tariffs on Canadian energy row"},
        {"rule_id": "ieepa_mexico_2025", "kind": "tariff", "origin": "Mexico", "tariff_pct": IEEPA_MEXICO_PCT,
             "description": "IEEPA tariff on Mexican goods at the statutory rate on every barrel (sensitivity: "
                         "USMCA-compliant entries were exempt)",
             "source": "logistics_pipelines_freight.csv US tariffs row"},
    ]
    avail_2024_2025 = [f"crudes.{cid}.availability_kbd = {fmt(v)}" for cid, v in AVAILABILITY_2024_2025.items()]
    scen("sanctions_2025",
         "2025: PDVSA barrels banned, Chevron restricted licence <= 120 kb/d, IEEPA tariffs as in force (10 % on "
         "Canadian energy, 25 % on Mexico, with USMCA-compliant crude exempt from 2025-03-07: no tariff on the "
         "modelled Canadian and Pemex barrels), Hormuz open, 2025 prices",
         overrides=regime_overrides(prices, "p2025") + avail_2024_2025, add=sanctions_2025_policies,
         drop=vz_2026 + hormuz)
    scen("licensed_2026",
         "The base data: Venezuelan barrels only under the 2026 licences (Chevron <= 300, traders <= 137 kb/d), "
         "no IEEPA tariffs (struck down 2026-02-20), Hormuz closed, Mar-Aug 2026 prices")
    scen("open_venezuela",
         "Venezuelan exports fully open to the coast, bought against Asian buyers through the stepped supply "
         "curve; Hormuz closed, Mar-Aug 2026 prices",
         extends="licensed_2026", drop=vz_2026)
    scen("venezuela_banned_2026",
         "Counterfactual: every Venezuelan barrel banned (the 2019-2022 regime) in the 2026 Hormuz-closed market",
         extends="licensed_2026",
         add=[{"rule_id": "vz_banned", "kind": "ban", "origin": "Venezuela",
                   "description": "Full US ban on Venezuelan crude (as 2019-2022)",
                   "source": "venezuela_timeline_volumes.csv 2019-01-28 row"}],
         drop=vz_2026)
    scen("open_venezuela_hormuz_open_same_prices",
         "Venezuela fully open and Middle East grades back, at the same Mar-Aug 2026 prices: differs from "
         "open_venezuela only in the Hormuz bans, so it isolates their effect",
         extends="open_venezuela", drop=hormuz)
    scen("open_venezuela_hormuz_open",
         "Venezuela fully open and the Strait of Hormuz open: Middle East grades back, Jan-Feb 2026 "
         "(pre-closure) prices - differs from open_venezuela in both the bans and the price regime",
         extends="open_venezuela", overrides=regime_overrides(prices, "p2026_pre"), drop=hormuz)
    scen("venezuela_banned_hormuz_open",
         "Counterfactual to open_venezuela_hormuz_open: every Venezuelan barrel banned, Hormuz open, Jan-Feb 2026 "
         "prices (the Venezuelan effect in the pre-closure market)",
         extends="venezuela_banned_2026", overrides=regime_overrides(prices, "p2026_pre"), drop=hormuz)
    scen("calibration_2024",
         "Calibration: 2024 prices, Chevron general licence GL41 (Chevron JV barrels free to go to the US, "
         "PDVSA barrels banned after GL44 expired), no tariffs, Hormuz open, Maya before the Dos Bocas cuts",
         overrides=regime_overrides(prices, "p2024") + avail_2024_2025
         + [f"crudes.maya.availability_kbd = {fmt(MAYA_AVAILABILITY_2024)}"],
         add=[{"rule_id": "vz_pdvsa_sanctioned_2024", "kind": "ban", "origin": "Venezuela", "operator": "PDVSA",
                   "description": "PDVSA-marketed barrels banned after GL44 expired (2024-04-18/05-31)",
                   "source": "venezuela_timeline_volumes.csv 2023-10 to 2024-04 row"}],
         drop=vz_2026 + hormuz)
    scen("calibration_2024_hsfo_at_maya_parity",
         f"Sensitivity: calibration_2024 with HSFO at Maya parity (the {HSFO_PREMIUM_OVER_MAYA:g} $/bbl premium of "
         "May 2025, a month of record-low USGC fuel-oil imports, left out): how much of the 2024 coker use "
         "depends on the HSFO price",
         extends="calibration_2024",
         overrides=[f"products.hsfo.price_usd_per_bbl += {fmt(-HSFO_PREMIUM_OVER_MAYA)}",
                    f"products.hsfo_export.price_usd_per_bbl += {fmt(-HSFO_PREMIUM_OVER_MAYA)}",
                    f"stream_purchases.{FO_IMPORT_ID}.price_usd_per_bbl += {fmt(-HSFO_PREMIUM_OVER_MAYA)}"])
    scen("sanctions_2025_statutory_tariffs",
         "Sensitivity: sanctions_2025 with the IEEPA tariffs at their statutory rates on every Canadian and "
         "Mexican barrel (10 % / 25 %), i.e. without the USMCA exemption",
         extends="sanctions_2025", add=tariffs_2025)
    relax = [f"refineries[api_max_deg={fmt(c[2])}].api_max_deg = 45" for c in DIET_CLASSES if c[2] is not None]
    scen("diet_windows_relaxed",
         "Sensitivity: the licensed-2026 case without the estimated maximum-API diet windows (api_max 45 "
         "everywhere): how much of the heavy-crude demand comes from the windows",
         extends="licensed_2026", overrides=relax)
    scen("diet_windows_relaxed_2025",
         "Sensitivity: sanctions_2025 without the estimated maximum-API diet windows (api_max 45 everywhere)",
         extends="sanctions_2025", overrides=relax)
    scen("coke_uncapped",
         "Sensitivity: coker yields of the high-carbon residue pool from the uncapped Gary correlation "
         f"(coke 1.6 x CCR instead of the {COKE_WT_MAX} wt cap; the excess mass comes out of coker gas oil)",
         extends="licensed_2026", overrides=extra["coke_uncapped"])
    scen("sour_discounts_narrower_2026",
         f"Sensitivity: licensed_2026 with every sour grade (>= {SOUR_SENSITIVITY_S_MIN:g} %S) "
         f"{extra['sour_shift']:+.2f} $/bbl dearer: the narrowing of USGC Cold Lake from Feb to May 2025 when "
         "Venezuelan and Mexican supply fell, as a stand-in for the sour shortage of the Hormuz closure",
         extends="licensed_2026", overrides=extra["sour_narrower"])
    scen("boscan_high_carbon_class",
         "Sensitivity: Boscan's residue in the high-carbon coker pool (its MCR is borrowed from Bachaquero and "
         "lands just below the 25 wt% class limit)",
         extends="licensed_2026", overrides=extra["boscan_hi"])
    no_trade = ([f"stream_transfers[stream_id={sid}].capacity_kbd = 0" for sid in RESIDUE_TRANSFER_STREAMS]
                + [f"stream_purchases.{FO_IMPORT_ID}.max_kbd = 0"])
    scen("no_residue_trade",
         "Sensitivity: licensed_2026 without residue trade (no residue passed between refineries, no fuel oil "
         "imported as coker feed): what the trade is worth, and the instance as it was before it",
         extends="licensed_2026", overrides=no_trade)
    scen("no_residue_trade_2025",
         "Sensitivity: sanctions_2025 without residue trade (no transfers, no fuel-oil imports)",
         extends="sanctions_2025", overrides=no_trade)
    (out / "instance.toml").write_text("\n".join(L) + "\n", encoding="utf-8")


def provenance(result: dict) -> str:
    lines = ["| table | rows | S | S+E | E | other |", "|---|---|---|---|---|---|"]
    for name, (_cols, rows) in result["tables"].items():
        n = len(rows)
        cnt = {"S": 0, "S+E": 0, "E": 0, "other": 0}
        for r in rows:
            s = r.get("source", "")
            if s.startswith(("S+E", "S(+E")):
                cnt["S+E"] += 1
            elif s.startswith("S:"):
                cnt["S"] += 1
            elif s.startswith("E:"):
                cnt["E"] += 1
            else:
                cnt["other"] += 1
        lines.append(f"| {name} | {n} | {cnt['S']} | {cnt['S+E']} | {cnt['E']} | {cnt['other']} |")
    return "\n".join(lines)


def viscosity_report(vr_props: dict) -> str:
    """Each HSFO component's VBI, and the cutter share a residue needs to make RMG 380 with one cutter, by volume
    (as modelled) and by mass (Refutas' own basis), with HSFO_COMPONENT_SG."""
    vmax = refutas_vbi(HSFO_VISCOSITY_MAX_CST_50C)
    lines = [f"HSFO viscosity: RMG {HSFO_VISCOSITY_MAX_CST_50C:g} cSt at 50 C = VBI {vmax:.3f}"]
    lines += [f"  {sid:11s} {VISCOSITY_CST_50C[sid][0]:>9g} cSt  VBI {refutas_vbi(VISCOSITY_CST_50C[sid][0]):6.2f}"
              for sid in HSFO_COMPONENTS]
    lines.append("  cutter vol % a residue needs for RMG 380 with one cutter (volume basis as modelled / mass basis):")
    for vr in ("vr_lo", "vr_md", "vr_hi"):
        b_r, sg_r = refutas_vbi(VISCOSITY_CST_50C[vr][0]), vr_props[vr]["sg"]
        parts = []
        for cut in ("kero_raw", "lco", "diesel_raw", "ago", "vgo", "slurry"):
            b_c, sg_c = refutas_vbi(VISCOSITY_CST_50C[cut][0]), HSFO_COMPONENT_SG[cut]
            x_vol = (b_r - vmax) / (b_r - b_c)  # the share the volume-weighted spec asks for
            y = x_vol  # the same share as a mass fraction, turned into volume
            x_mass = (y / sg_c) / (y / sg_c + (1 - y) / sg_r)
            parts.append(f"{cut} {100 * x_vol:.1f}/{100 * x_mass:.1f}")
        lines.append(f"  {vr} (SG {sg_r:.3f}): " + ", ".join(parts))
    # sum(v SG (VBI - max)) <= 0 is the mass-weighted spec, exactly; as a volume-weighted quality against the same
    # max that is VBI' = max + SG (VBI - max). Only exact for the 380 limit, hence a sensitivity, not the model.
    sg = dict(HSFO_COMPONENT_SG, **{f"{p}{k[3:]}": v["sg"] for k, v in vr_props.items() for p in ("vr_", "vr_raw_")})
    lines.append("  the exact mass basis as overrides (crudeslate solve ... --set each):")
    lines += [f"    stream_qualities.{sid}/viscosity_vbi_50c.value = "
              f"{round(vmax + sg[sid] * (refutas_vbi(VISCOSITY_CST_50C[sid][0]) - vmax), 4):g}"
              for sid in HSFO_COMPONENTS]
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, default=HERE / "data",
                    help="folder with SOURCES.md and the data files (default: build/data, the project's copy)")
    ap.add_argument("--out", type=Path, default=INSTANCE_DIR, help="where to write the instance (default: here)")
    ap.add_argument("--provenance", action="store_true", help="print a per-table S/E summary")
    ap.add_argument("--report", action="store_true", help="print derived numbers (VR pools, coverage, prices)")
    args = ap.parse_args(argv)
    if not (args.data / "SOURCES.md").exists():
        print(f"no SOURCES.md in {args.data}", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    result = build(Data(args.data), args.out)
    if args.provenance:
        print(provenance(result))
    if args.report:
        print(f"coverage: {result['modelled_cd']:.1f} of {result['active_cd']:.1f} kb/cd "
              f"({100 * result['modelled_cd'] / result['active_cd']:.1f} %)")
        for k, v in result["vr_props"].items():
            print(k, {kk: (round(vv, 3) if isinstance(vv, float) else vv) for kk, vv in v.items()})
        for reg, p in result["prices"].items():
            print(reg, "brent", round(p["brent"][0], 2), "wti", round(p["wti"][0], 2),
                  {k: round(v[0], 2) for k, v in p["products"].items()})
        print(viscosity_report(result["vr_props"]))
        print("residue links (transfer rows per class; cost $/bbl, one tow's kb/d):")
        for row in result["tables"]["stream_transfers"][1]:
            if row["stream_id"] == RESIDUE_TRANSFER_STREAMS[0]:
                miles = re.search(r"(\d+) water miles", row["source"]).group(1)
                print(f"  {row['from_refinery_id']:24s} -> {row['to_refinery_id']:22s} {miles:>4s} mi  "
                      f"{row['cost_usd_per_bbl']:5.2f}  {row['capacity_kbd']:5.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
