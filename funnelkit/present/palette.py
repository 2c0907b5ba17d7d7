"""The house colours: the Okabe–Ito palette, safe for colour-blind readers, shared by the
report charts (matplotlib) and the explorer's SVG charts. Hex strings, no imports."""

BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#999999",
)
STAGE_COLOURS = (BLUE, SKY, GREEN, ORANGE, VERMILLION, PURPLE)  # first stage to last
YELLOW, BLACK = "#F0E442", "#000000"
SERIES_COLOURS = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, YELLOW, BLACK, GREY)  # named
# series (channels): the whole palette, so up to nine differ
