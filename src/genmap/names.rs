//! Words for generated maps: the chains, the tiers and plausible item names
//! per chain and tier, and the countries firms are drawn from. Only shape
//! matters to benchmarks; the names make a generated map readable in a demo.

/// (id, name, share of firms and items in the chain).
pub const CHAINS: [(&str, &str, f64); 5] = [
    ("ic", "integrated circuits", 0.30),
    ("nev", "new energy vehicles", 0.25),
    ("ai", "AI computing", 0.15),
    ("pv", "photovoltaics", 0.15),
    ("bio", "biomedicine", 0.15),
];

/// Short tier codes used in item ids, from raw materials up.
pub const TIER_CODES: [&str; 5] = ["raw", "mat", "cmp", "mod", "end"];

/// Item base names per chain (same order as `CHAINS`) and tier.
pub const ITEM_WORDS: [[&[&str]; 5]; 5] = [
    // ic
    [
        &[
            "quartz sand",
            "gallium",
            "germanium",
            "fluorspar",
            "neon",
            "tungsten ore",
        ],
        &[
            "polysilicon",
            "silicon wafer",
            "photoresist",
            "electronic gas",
            "sputtering target",
            "wet chemical",
            "CMP slurry",
            "photomask blank",
        ],
        &[
            "lithography tool",
            "etch tool",
            "deposition tool",
            "logic die",
            "DRAM die",
            "NAND die",
            "analog die",
            "probe card",
            "IC substrate",
        ],
        &[
            "SoC package",
            "memory module",
            "power module",
            "RF front end",
            "sensor module",
            "controller board",
        ],
        &[
            "smartphone",
            "industrial controller",
            "network switch",
            "automotive ECU",
        ],
    ],
    // nev
    [
        &[
            "lithium brine",
            "cobalt ore",
            "nickel ore",
            "graphite",
            "manganese ore",
            "rare earth ore",
        ],
        &[
            "lithium carbonate",
            "cathode material",
            "anode material",
            "electrolyte",
            "separator film",
            "NdFeB magnet",
            "copper foil",
        ],
        &[
            "battery cell",
            "IGBT",
            "SiC MOSFET",
            "motor stator",
            "inverter board",
            "BMS chip",
            "wire harness",
        ],
        &[
            "battery pack",
            "e-drive unit",
            "charging module",
            "thermal system",
            "ADAS domain controller",
        ],
        &["passenger EV", "electric bus", "electric truck"],
    ],
    // ai
    [
        &["high-purity copper", "indium", "tantalum ore", "hafnium"],
        &[
            "ABF film",
            "HBM wafer",
            "thermal interface material",
            "optical glass",
        ],
        &[
            "GPU die",
            "HBM stack",
            "optical transceiver",
            "interposer",
            "PCB laminate",
            "power stage",
        ],
        &[
            "accelerator card",
            "AI server board",
            "liquid cooling plate",
            "switch ASIC module",
        ],
        &["AI server", "training cluster rack", "edge inference box"],
    ],
    // pv
    [
        &[
            "metallurgical silicon",
            "silver",
            "high-purity quartz",
            "aluminium",
        ],
        &[
            "solar-grade polysilicon",
            "mono ingot",
            "silver paste",
            "EVA film",
            "PV glass",
        ],
        &[
            "solar wafer",
            "PERC cell",
            "TOPCon cell",
            "HJT cell",
            "junction box",
            "PV inverter IGBT",
        ],
        &["PV module", "string inverter", "tracker drive"],
        &["utility PV plant kit", "rooftop PV kit"],
    ],
    // bio
    [
        &[
            "petrochemical feedstock",
            "medical-grade resin",
            "rare earth for MRI",
        ],
        &[
            "active pharmaceutical ingredient",
            "cell culture medium",
            "chromatography resin",
            "single-use bag film",
        ],
        &[
            "bioreactor",
            "sequencing chip",
            "MRI magnet",
            "ultrasound probe",
            "infusion pump motor",
        ],
        &[
            "sequencer module",
            "imaging detector",
            "diagnostic cartridge",
        ],
        &["MRI scanner", "gene sequencer", "biologic drug"],
    ],
];

/// Countries firms are drawn from with their relative weight outside the
/// home country (whose weight depends on the tier, see `HOME_SHARE`); `XX`
/// is a producer nobody could attribute.
pub const ABROAD: [(&str, f64); 17] = [
    ("US", 0.22),
    ("JP", 0.17),
    ("KR", 0.12),
    ("TW", 0.12),
    ("DE", 0.09),
    ("NL", 0.03),
    ("FR", 0.03),
    ("GB", 0.03),
    ("VN", 0.03),
    ("IN", 0.03),
    ("CH", 0.02),
    ("SG", 0.02),
    ("MY", 0.02),
    ("IT", 0.02),
    ("IL", 0.01),
    ("SE", 0.01),
    ("XX", 0.01),
];

/// The home country of generated maps.
pub const HOME: &str = "CN";

/// Share of firms located at home, per tier: the home country leads raw
/// materials, materials and assembly, and relies more on imports for
/// components and equipment. About 60% overall.
pub const HOME_SHARE: [f64; 5] = [0.62, 0.62, 0.52, 0.60, 0.66];
