//! Country codes of imported registers: ISO 3166-1 alpha-3 (as CSET writes
//! them) to the alpha-2 codes the chain map uses.
//!
//! The table covers every code the CSET ETO Chip Explorer uses plus the other
//! economies with a semiconductor industry, so that a newer CSET release is
//! unlikely to hit an unknown code; anything else maps to `XX`, the map's code
//! for producers that cannot be attributed to one country.

/// The map's code for "no single country": CSET's "Various countries", blanks
/// and codes this table does not know.
pub const UNATTRIBUTED: &str = "XX";

/// Alpha-3 → alpha-2. `EUR` is CSET's pseudo-country "Europe"; it maps to
/// `EU`, the alpha-2 code ISO 3166 reserves for the European Union, because
/// the EU is itself a sanctioning jurisdiction, which `XX` would hide.
const TABLE: &[(&str, &str)] = &[
    ("ARE", "AE"),
    ("ARG", "AR"),
    ("AUS", "AU"),
    ("AUT", "AT"),
    ("BEL", "BE"),
    ("BGR", "BG"),
    ("BLR", "BY"),
    ("BRA", "BR"),
    ("CAN", "CA"),
    ("CHE", "CH"),
    ("CHN", "CN"),
    ("CRI", "CR"),
    ("CZE", "CZ"),
    ("DEU", "DE"),
    ("DNK", "DK"),
    ("ESP", "ES"),
    ("EST", "EE"),
    ("EUR", "EU"),
    ("FIN", "FI"),
    ("FRA", "FR"),
    ("GBR", "GB"),
    ("GRC", "GR"),
    ("HKG", "HK"),
    ("HUN", "HU"),
    ("IDN", "ID"),
    ("IND", "IN"),
    ("IRL", "IE"),
    ("ISR", "IL"),
    ("ITA", "IT"),
    ("JPN", "JP"),
    ("KOR", "KR"),
    ("LTU", "LT"),
    ("LUX", "LU"),
    ("LVA", "LV"),
    ("MAC", "MO"),
    ("MEX", "MX"),
    ("MLT", "MT"),
    ("MYS", "MY"),
    ("NLD", "NL"),
    ("NOR", "NO"),
    ("NZL", "NZ"),
    ("PHL", "PH"),
    ("POL", "PL"),
    ("PRT", "PT"),
    ("ROU", "RO"),
    ("RUS", "RU"),
    ("SAU", "SA"),
    ("SGP", "SG"),
    ("SVK", "SK"),
    ("SVN", "SI"),
    ("SWE", "SE"),
    ("THA", "TH"),
    ("TUR", "TR"),
    ("TWN", "TW"),
    ("UKR", "UA"),
    ("USA", "US"),
    ("VNM", "VN"),
    ("ZAF", "ZA"),
];

/// The alpha-2 code for a CSET country code; `XX` for blanks, "Various
/// countries" and anything unknown. Case and surrounding blanks are ignored.
pub fn alpha2(code: &str) -> &'static str {
    let code = code.trim();
    TABLE
        .iter()
        .find(|(a3, _)| a3.eq_ignore_ascii_case(code))
        .map(|(_, a2)| *a2)
        .unwrap_or(UNATTRIBUTED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes_map_to_alpha2() {
        assert_eq!(alpha2("JPN"), "JP");
        assert_eq!(alpha2("NLD"), "NL");
        assert_eq!(alpha2("TWN"), "TW");
        assert_eq!(alpha2(" kor "), "KR");
        assert_eq!(alpha2("EUR"), "EU");
    }

    #[test]
    fn unknowns_are_unattributed() {
        assert_eq!(alpha2(""), "XX");
        assert_eq!(alpha2("Various countries"), "XX");
        assert_eq!(alpha2("ATL"), "XX");
    }

    #[test]
    fn table_is_sorted_unique_and_well_formed() {
        // Sorted so that a duplicate or a typo shows up in review next to its
        // neighbours; every target must pass the map's own country check.
        for pair in TABLE.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{:?} before {:?}", pair[0], pair[1]);
        }
        for (a3, a2) in TABLE {
            assert_eq!(a3.len(), 3);
            assert!(crate::map::is_country_code(a2), "{a2}");
        }
    }
}
