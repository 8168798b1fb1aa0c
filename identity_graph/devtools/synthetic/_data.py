"""Built-in vocabularies: streets, cities, email domains, pages, campaigns, placeholders.

Names live in `_names`.
"""

from __future__ import annotations


def words(text: str) -> tuple[str, ...]:
    # "_" stands for a space inside a single name ("Dela_Cruz"): whitespace separates names.
    seen: dict[str, None] = {}
    for word in text.split():
        seen.setdefault(word.replace("_", " "), None)
    return tuple(seen)


STREETS = words("""
Main Oak Maple Cedar Pine Elm Washington Lake Hill Park Sunset Highland Jefferson Lincoln
Madison Franklin Church Spring Ridge Meadow Forest River Willow Walnut Chestnut Cherry Birch
Dogwood Magnolia Sycamore Hickory Poplar Laurel Mill Center Market Water Bridge Railroad
Prospect Pleasant Valley Orchard Grove Heritage Liberty Union Harbor Bay Ocean Shore Summit
Woodland Fairview Glenwood Riverside Kingston Cambridge Oxford Windsor Lexington Hamilton
Jackson Monroe Adams Grant Sherman Clinton Cleveland Garfield Roosevelt Kennedy Mulberry
Juniper Aspen Sequoia Cypress Palm Mesa Canyon Desert Prairie Bluebonnet Peachtree Bayou
Lakeview Hillcrest Brookside Stonebridge Foxhall Wildflower Cottonwood Pecan Broad High
School College Academy Martin_Luther_King_Jr El_Camino Rio_Grande Saint_Andrews
""")

# Suffix as written in full, and the abbreviation clerks and customers type instead.
STREET_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("Street", "St"),
    ("Avenue", "Ave"),
    ("Road", "Rd"),
    ("Drive", "Dr"),
    ("Lane", "Ln"),
    ("Court", "Ct"),
    ("Boulevard", "Blvd"),
    ("Place", "Pl"),
    ("Terrace", "Ter"),
    ("Circle", "Cir"),
    ("Parkway", "Pkwy"),
    ("Way", "Wy"),
    ("Trail", "Trl"),
)

# City, state, first three ZIP digits, local area code. ZIP prefixes starting with 0 are in
# the list on purpose: spreadsheets strip the leading zero, a classic postcode mismatch.
CITIES: tuple[tuple[str, str, str, int], ...] = (
    ("New York", "NY", "100", 212),
    ("Los Angeles", "CA", "900", 213),
    ("Chicago", "IL", "606", 312),
    ("Houston", "TX", "770", 713),
    ("Phoenix", "AZ", "850", 602),
    ("Philadelphia", "PA", "191", 215),
    ("San Antonio", "TX", "782", 210),
    ("San Diego", "CA", "921", 619),
    ("Dallas", "TX", "752", 214),
    ("San Jose", "CA", "951", 408),
    ("Austin", "TX", "787", 512),
    ("Jacksonville", "FL", "322", 904),
    ("Columbus", "OH", "432", 614),
    ("Charlotte", "NC", "282", 704),
    ("Indianapolis", "IN", "462", 317),
    ("San Francisco", "CA", "941", 415),
    ("Seattle", "WA", "981", 206),
    ("Denver", "CO", "802", 303),
    ("Washington", "DC", "200", 202),
    ("Boston", "MA", "021", 617),
    ("Nashville", "TN", "372", 615),
    ("Detroit", "MI", "482", 313),
    ("Portland", "OR", "972", 503),
    ("Las Vegas", "NV", "891", 702),
    ("Memphis", "TN", "381", 901),
    ("Louisville", "KY", "402", 502),
    ("Baltimore", "MD", "212", 410),
    ("Milwaukee", "WI", "532", 414),
    ("Albuquerque", "NM", "871", 505),
    ("Tucson", "AZ", "857", 520),
    ("Fresno", "CA", "937", 559),
    ("Sacramento", "CA", "958", 916),
    ("Kansas City", "MO", "641", 816),
    ("Atlanta", "GA", "303", 404),
    ("Miami", "FL", "331", 305),
    ("Omaha", "NE", "681", 402),
    ("Raleigh", "NC", "276", 919),
    ("Minneapolis", "MN", "554", 612),
    ("Tulsa", "OK", "741", 918),
    ("Cleveland", "OH", "441", 216),
    ("New Orleans", "LA", "701", 504),
    ("Tampa", "FL", "336", 813),
    ("Pittsburgh", "PA", "152", 412),
    ("Cincinnati", "OH", "452", 513),
    ("St. Louis", "MO", "631", 314),
    ("Orlando", "FL", "328", 407),
    ("Buffalo", "NY", "142", 716),
    ("Salt Lake City", "UT", "841", 801),
    ("Richmond", "VA", "232", 804),
    ("Birmingham", "AL", "352", 205),
    ("Honolulu", "HI", "968", 808),
    ("Anchorage", "AK", "995", 907),
    ("Boise", "ID", "837", 208),
    ("Des Moines", "IA", "503", 515),
    ("Hartford", "CT", "061", 860),
    ("Providence", "RI", "029", 401),
    ("Newark", "NJ", "071", 973),
    ("Jersey City", "NJ", "073", 201),
    ("Oklahoma City", "OK", "731", 405),
    ("El Paso", "TX", "799", 915),
    ("Fort Worth", "TX", "761", 817),
    ("Spokane", "WA", "992", 509),
    ("Madison", "WI", "537", 608),
    ("Little Rock", "AR", "722", 501),
    ("Charleston", "SC", "294", 843),
    ("Wilmington", "DE", "198", 302),
    ("Burlington", "VT", "054", 802),
    ("Portland", "ME", "041", 207),
    ("Manchester", "NH", "031", 603),
    ("Billings", "MT", "591", 406),
    ("Fargo", "ND", "581", 701),
    ("Sioux Falls", "SD", "571", 605),
    ("Cheyenne", "WY", "820", 307),
    ("Jackson", "MS", "392", 601),
    ("Lexington", "KY", "405", 859),
    ("Savannah", "GA", "314", 912),
    ("Reno", "NV", "895", 775),
    ("Santa Fe", "NM", "875", 505),
    ("Ann Arbor", "MI", "481", 734),
    ("Grand Rapids", "MI", "495", 616),
    ("Rochester", "NY", "146", 585),
    ("Syracuse", "NY", "132", 315),
    ("Albany", "NY", "122", 518),
    ("Baton Rouge", "LA", "708", 225),
    ("Knoxville", "TN", "379", 865),
    ("Chattanooga", "TN", "374", 423),
    ("Columbia", "SC", "292", 803),
    ("Greensboro", "NC", "274", 336),
    ("Norfolk", "VA", "235", 757),
    ("Arlington", "VA", "222", 703),
    ("Scottsdale", "AZ", "852", 480),
    ("Mesa", "AZ", "852", 480),
    ("Bakersfield", "CA", "933", 661),
    ("Long Beach", "CA", "908", 562),
    ("Oakland", "CA", "946", 510),
    ("Anaheim", "CA", "928", 714),
    ("Riverside", "CA", "925", 951),
    ("Irvine", "CA", "926", 949),
    ("Plano", "TX", "750", 972),
    ("Lubbock", "TX", "794", 806),
    ("Corpus Christi", "TX", "784", 361),
    ("Colorado Springs", "CO", "809", 719),
    ("Wichita", "KS", "672", 316),
    ("Lincoln", "NE", "685", 402),
    ("Toledo", "OH", "436", 419),
    ("Akron", "OH", "443", 330),
    ("Dayton", "OH", "454", 937),
    ("Fort Wayne", "IN", "468", 260),
    ("Springfield", "IL", "627", 217),
    ("Green Bay", "WI", "543", 920),
    ("Saint Paul", "MN", "551", 651),
    ("Cedar Rapids", "IA", "524", 319),
    ("Tallahassee", "FL", "323", 850),
    ("Fort Lauderdale", "FL", "333", 954),
    ("Huntsville", "AL", "358", 256),
    ("Eugene", "OR", "974", 541),
    ("Tacoma", "WA", "984", 253),
    ("Yonkers", "NY", "107", 914),
    ("Trenton", "NJ", "086", 609),
    ("Allentown", "PA", "181", 610),
    ("New Haven", "CT", "065", 203),
    ("Worcester", "MA", "016", 508),
)

# Weighted by rough market share: a handful of providers hold most consumer addresses.
EMAIL_DOMAINS: tuple[tuple[str, int], ...] = (
    ("gmail.com", 36),
    ("yahoo.com", 12),
    ("hotmail.com", 8),
    ("outlook.com", 8),
    ("icloud.com", 8),
    ("aol.com", 3),
    ("comcast.net", 3),
    ("att.net", 2),
    ("proton.me", 2),
    ("live.com", 2),
    ("msn.com", 1),
    ("me.com", 1),
    ("gmx.com", 1),
    ("mail.com", 1),
    ("fastmail.com", 1),
    ("yahoo.co.uk", 1),
    ("verizon.net", 1),
    ("sbcglobal.net", 1),
)

PAGES: tuple[tuple[str, str], ...] = (
    ("Home", "/"),
    ("Category", "/c/new-arrivals"),
    ("Category", "/c/sale"),
    ("Search", "/search"),
    ("Product", "/p"),
    ("Cart", "/cart"),
    ("Help", "/help"),
    ("Store Locator", "/stores"),
    ("Account", "/account"),
)
SCREENS = ("Home", "Browse", "Product Detail", "Cart", "Orders", "Loyalty Card", "Settings")

# One seasonal campaign per calendar month (January first); a loyalty campaign runs
# alongside each quarter, so people see campaigns repeatedly over weeks.
CAMPAIGN_THEMES = (
    "WINTER-SALE",
    "VALENTINES",
    "SPRING-REFRESH",
    "EASTER",
    "MOTHERS-DAY",
    "FATHERS-DAY",
    "SUMMER-SALE",
    "BACK-TO-SCHOOL",
    "LABOR-DAY",
    "HALLOWEEN",
    "BLACK-FRIDAY",
    "HOLIDAY",
)

PRICE_POINTS_CENTS = (
    499,
    999,
    1499,
    1999,
    2499,
    2999,
    3499,
    3999,
    4999,
    5999,
    7999,
    9999,
    14999,
    19999,
    29999,
)

# Placeholders people and forms put where a value is required; all are in the default
# junk list of `identity_graph.config.Settings` (compared trimmed, case-insensitive).
JUNK_EMAILS = (
    "test@test.com",
    "unknown",
    "null",
    "",
    "none@none.com",
    "noemail@noemail.com",
    "N/A",
    " NULL ",
    "Unknown",
)
JUNK_PHONES = ("0", "n/a", "-", "unknown", "")
