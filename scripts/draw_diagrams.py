"""Draw the patient diagrams in templates/diagrams/ (run: python scripts/draw_diagrams.py).

Line drawings for patients: a soft neutral body, arteries as solid dark lines, veins as hollow
double lines, anything new (a link, a graft, a stent) or blocking (a clot) in its own pattern, so
that nothing depends on colour alone. No words: numbered markers 1..n with leader lines; the
words come from each record's `labels` and are printed as a legend under the picture.
"""

from __future__ import annotations

from pathlib import Path

OUT = Path(__file__).resolve().parent.parent / "templates" / "diagrams"

SKIN, SKIN_LINE = "#f5eee6", "#a08f7e"
ARTERY, ARTERY_EMPTY = "#a32a2a", "#e9c9c6"
VEIN, VEIN_INSIDE = "#2c5a8c", "#e6eef7"
NEW, NEW_INSIDE = "#4a3d78", "#ece8f5"
INK = "#1a1a1a"

# Digits drawn as strokes (round caps), in a box 14 units tall centred on 0,0: no font needed.
DIGITS = {
    1: "M-2.6 -4.4L1 -7V7",
    2: "M-3.8 -3.6C-3.6 -7.6 3.9 -7.9 3.9 -3.4C3.9 -0.4 0.4 1.6 -3.9 7H4.3",
    3: "M-3.7 -5C-2 -7.9 3.8 -7.6 3.6 -3.6C3.4 -0.9 0.9 -0.2 -0.6 -0.2C0.9 -0.2 4.2 0.4 4 3.5"
       "C3.8 7.8 -2.1 8 -4 4.8",
    4: "M2.2 7V-7L-4.4 2.6H4.8",
}
MARKER_RADIUS = 15  # at 8.5 cm wide and 460 units across, 15 units is about 2.8 mm: a 5.5 mm circle


def svg(title: str, width: int, height: int, body: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img">\n'
        f"<title>{title}</title>\n{body}</svg>\n"
    )


def body_shape(d: str) -> str:
    return f'<path d="{d}" fill="{SKIN}" stroke="{SKIN_LINE}" stroke-width="2.5" stroke-linejoin="round"/>\n'


def soft_line(d: str, width: float = 2) -> str:
    return f'<path d="{d}" fill="none" stroke="{SKIN_LINE}" stroke-width="{width}" stroke-linecap="round"/>\n'


def artery(d: str, width: float = 7) -> str:
    return f'<path d="{d}" fill="none" stroke="{ARTERY}" stroke-width="{width}" stroke-linecap="round"/>\n'


def empty_artery(d: str, width: float = 7) -> str:
    """An artery with no blood flowing: a pale tube with a dashed wall."""
    return (
        f'<path d="{d}" fill="none" stroke="{ARTERY}" stroke-width="{width}" stroke-dasharray="4 3"/>\n'
        f'<path d="{d}" fill="none" stroke="{ARTERY_EMPTY}" stroke-width="{width - 3.4}"/>\n'
    )


def vein(d: str, width: float = 10) -> str:
    return (
        f'<path d="{d}" fill="none" stroke="{VEIN}" stroke-width="{width}" stroke-linecap="round"/>\n'
        f'<path d="{d}" fill="none" stroke="{VEIN_INSIDE}" stroke-width="{width - 4.4}" stroke-linecap="round"/>\n'
    )


def new_link(d: str, width: float = 10) -> str:
    """A new connection: a tube striped across, unlike any vessel."""
    return (
        f'<path d="{d}" fill="none" stroke="{NEW}" stroke-width="{width}"/>\n'
        f'<path d="{d}" fill="none" stroke="{NEW_INSIDE}" stroke-width="{width - 4.4}"/>\n'
        f'<path d="{d}" fill="none" stroke="{NEW}" stroke-width="{width}" stroke-dasharray="2.2 3.2"/>\n'
    )


def clot(d: str) -> str:
    """A clot: a dark lump filling the vessel."""
    return f'<path d="{d}" fill="#3b2626" stroke="{INK}" stroke-width="2" stroke-linejoin="round"/>\n'


def arrow(x: float, y: float, angle: float, colour: str = INK) -> str:
    """A small chevron showing which way blood flows; angle in degrees, 0 = pointing right."""
    return (
        f'<path d="M-4 -5L3 0L-4 5" transform="translate({x} {y}) rotate({angle})" fill="none" '
        f'stroke="{colour}" stroke-width="2.4" stroke-linecap="round" stroke-linejoin="round"/>\n'
    )


def marker(number: int, x: float, y: float, *targets: tuple[float, float]) -> str:
    """A circled number at x, y with a leader line to each target (a white halo keeps it readable)."""
    leaders = "".join(
        f'<path d="M{x} {y}L{tx} {ty}" stroke="#ffffff" stroke-width="5" stroke-linecap="round"/>'
        f'<path d="M{x} {y}L{tx} {ty}" stroke="{INK}" stroke-width="2"/>'
        f'<circle cx="{tx}" cy="{ty}" r="3.2" fill="{INK}" stroke="#ffffff" stroke-width="1.2"/>\n'
        for tx, ty in targets
    )
    return (
        leaders
        + f'<circle cx="{x}" cy="{y}" r="{MARKER_RADIUS}" fill="#ffffff" stroke="{INK}" stroke-width="2.2"/>'
        + f'<path d="{DIGITS[number]}" transform="translate({x} {y})" fill="none" stroke="{INK}" '
        f'stroke-width="2.6" stroke-linecap="round" stroke-linejoin="round"/>\n'
    )


# A forearm and elbow seen from the palm side, hand to the right, thumb up; cut off at the upper arm.
ARM = (
    "M-10 52C60 50 110 56 150 64C175 58 205 54 235 62C280 74 320 86 345 90"
    "L358 86C370 70 384 52 400 46C411 42 418 51 411 59C401 72 393 82 394 90"
    "C420 87 452 87 452 95C452 101 440 102 421 102"
    "C444 102 458 104 458 110C458 116 444 118 421 118"
    "C442 118 454 120 454 126C454 132 442 133 420 133"
    "C436 134 446 136 446 140C446 145 433 147 414 146"
    "C395 150 370 147 345 142C310 146 270 160 235 172C205 181 175 179 150 172"
    "C110 178 60 180 -10 182Z"
)
ELBOW_CREASE = "M142 82C150 100 151 128 144 152"


def fistula_arm() -> str:
    vein_path = "M352 100C300 93 250 82 205 82C182 82 166 88 152 94C120 84 60 72 -10 68"
    parts = [
        body_shape(ARM),
        soft_line(ELBOW_CREASE),
        artery("M-10 130C50 128 110 124 150 120C168 118 178 118 188 120"),
        artery("M188 120C240 110 300 106 352 112", 5.5),
        artery("M188 120C240 132 300 138 350 130", 5.5),
        vein(vein_path, 11),
        new_link("M172 120L154 96", 12),
    ]
    buzz = "".join(  # ripples around the spot where the buzz (thrill) is felt
        f'<path d="{d}" fill="none" stroke="{INK}" stroke-width="2" stroke-linecap="round"/>'
        for d in ("M113 71C108 77 108 85 113 91", "M105 66C97 75 97 87 105 96",
                  "M137 71C142 77 142 85 137 91", "M145 66C153 75 153 87 145 96")
    )
    parts += [
        buzz + "\n",
        marker(1, 60, 206, (60, 128)),
        marker(2, 285, 22, (285, 87)),
        marker(3, 215, 208, (164, 109)),
        marker(4, 80, 24, (125, 81)),
    ]
    return svg("Arm with an artery, a vein and the new link between them near the elbow", 460, 230, "".join(parts))


def dialysis_access_arm() -> str:
    graft = "M166 143C200 134 255 132 292 126C325 120 325 96 292 96C250 96 205 96 170 84"
    parts = [
        body_shape(ARM),
        soft_line(ELBOW_CREASE),
        artery("M-10 150C60 148 120 146 166 143C220 150 290 142 350 134"),
        vein("M172 84C120 76 60 72 -10 70"),  # the vein the graft drains into
        new_link(graft, 12),
        clot("M200 89C207 88 216 89 224 90C232 91 238 92 240 95C238 99 230 100 222 99"
             "C214 98 206 98 200 97C197 94 197 91 200 89Z"),
        # a thin tube through the skin into the graft, its tip at the clot; a short sheath at the skin
        f'<path d="M338 18C320 40 306 62 298 82C290 96 272 97 242 96" fill="none" stroke="#ffffff" '
        f'stroke-width="6" stroke-linecap="round"/>'
        f'<path d="M338 18C320 40 306 62 298 82C290 96 272 97 242 96" fill="none" stroke="{INK}" '
        f'stroke-width="2.6" stroke-linecap="round"/>\n',
        f'<path d="M318 50L305 72" stroke="{INK}" stroke-width="6" stroke-linecap="round"/>\n',
        marker(1, 70, 210, (70, 149)),
        marker(2, 262, 210, (262, 128)),
        marker(3, 178, 22, (216, 94)),
        marker(4, 395, 22, (330, 30)),
    ]
    return svg("Forearm with a fistula or graft loop, a clot blocking it and a thin tube passed in", 460, 230,
               "".join(parts))


# The inner side of a right lower leg and foot, toes to the right; cut off below the knee.
LEG = (
    "M112 -10C100 40 96 92 112 142C124 178 140 200 146 226C149 240 146 252 140 262"
    "C132 276 134 296 150 302C180 308 230 304 270 302C310 300 345 298 366 294"
    "C382 291 386 280 374 274C350 264 300 250 262 236C236 226 218 214 212 196C208 150 214 80 220 -10Z"
)


def foot_veins() -> str:
    parts = [
        body_shape(LEG),
        vein("M182 -10C181 40 180 90 181 140C183 190 190 232 205 262C225 290 280 292 345 288"),
        artery("M163 -10C162 30 161 70 162 100"),
        clot("M157 132C157 124 168 124 168 132L168 156C168 164 157 164 157 156Z"),
        empty_artery("M162 104C162 115 162 120 162.5 128"),
        empty_artery("M162.5 160C163 205 170 240 184 266C205 290 262 296 340 296"),
        new_link("M162 86L181 122", 10),
        arrow(163, 40, 90),
        arrow(196, 165, 92),
        arrow(209, 232, 66),
        arrow(280, 278, -2),
        marker(1, 290, 150, (165, 145)),
        marker(2, 290, 70, (172, 104)),
        marker(3, 310, 222, (210, 268)),
    ]
    return svg("Lower leg and foot: a blocked artery, a new path from the artery into a vein, "
               "and the vein carrying blood down to the foot", 400, 320, "".join(parts))


HEART = (
    "M82 112C60 132 54 182 74 216C94 250 150 274 214 285C236 289 247 278 241 262"
    "C236 222 236 172 222 136C212 112 192 102 170 101C140 97 102 96 82 112Z"
)
PERSON_SCALE, PERSON_AT = 2.6, (405, 30)
PERSON = (  # a standing figure seen from the front, 100 units tall; its right side is on our left
    "M-3 15.5V18C-8 18 -11 19 -12 23L-16 50C-16.5 54 -14.5 57 -13 56L-12 52L-9.5 30L-9 52L-8.5 97"
    "C-8.5 100 -3 100 -2.5 97L-1 57H1L2.5 97C3 100 8.5 100 8.5 97L9 52L9.5 30L12 52L13 56"
    "C14.5 57 16.5 54 16 50L12 23C11 19 8 18 3 18V15.5Z"
    "M0 0.5a7.5 7.5 0 1 0 0.01 0Z"
)


def on_person(x: float, y: float) -> tuple[float, float]:
    """Where a point of the small figure lands in the drawing."""
    return round(PERSON_AT[0] + x * PERSON_SCALE, 1), round(PERSON_AT[1] + y * PERSON_SCALE, 1)


def heart_arteries() -> str:
    stent = "".join(
        f'<path d="M{x} 67L{x + 7} 89L{x + 14} 67M{x} 89L{x + 7} 67L{x + 14} 89" fill="none" '
        f'stroke="#3a3a3a" stroke-width="2" stroke-linejoin="round"/>'
        for x in range(268, 324, 14)
    )
    wrist, groin = on_person(-14.5, 50), on_person(-5, 54)
    parts = [
        f'<path d="M104 114V36" stroke="{SKIN_LINE}" stroke-width="22"/>'
        f'<path d="M104 114V36" stroke="{SKIN}" stroke-width="17"/>\n',
        f'<path d="M132 116C130 80 132 48 160 40C190 34 210 50 212 84L213 124" fill="none" stroke="{SKIN_LINE}" '
        f'stroke-width="30"/><path d="M132 116C130 80 132 48 160 40C190 34 210 50 212 84L213 124" fill="none" '
        f'stroke="{SKIN}" stroke-width="25"/>\n',
        f'<path d="M168 124L182 92" stroke="{SKIN_LINE}" stroke-width="26" stroke-linecap="round"/>'
        f'<path d="M168 124L182 92" stroke="{SKIN}" stroke-width="21" stroke-linecap="round"/>\n',
        body_shape(HEART),
        artery("M128 119C106 126 86 142 81 172C77 202 92 236 124 256", 5.5),
        artery("M140 119C150 124 160 126 170 129C192 127 212 132 228 146", 5.5),
        artery("M170 129C178 148 185 162 190 172", 5.5),
        artery("M183 155C196 160 210 170 222 184", 4),
        clot("M187 168C191 165 196 168 197 172L207 194C209 199 205 203 200 200L190 178C188 175 186 171 187 168Z"),
        empty_artery("M204 201C214 222 224 244 236 264", 5.5),
        # the same artery magnified: opened again, a stent holding it open
        f'<path d="M200 176L250 58.4M200 176L316.5 123.6" stroke="#8a8a8a" stroke-width="2" stroke-dasharray="4 3"/>\n'
        f'<circle cx="296" cy="78" r="50" fill="#ffffff"/>\n'
        f'<path d="M251 78H341" stroke="{ARTERY}" stroke-width="34"/>'
        f'<path d="M251 78H341" stroke="#f1d3cf" stroke-width="25"/>\n',
        stent,
        '<path d="M268 67H324M268 89H324" stroke="#3a3a3a" stroke-width="2.2"/>\n',
        arrow(258, 78, 0, ARTERY), arrow(334, 78, 0, ARTERY),
        f'<circle cx="296" cy="78" r="50" fill="none" stroke="{INK}" stroke-width="2"/>\n',
        f'<g transform="translate({PERSON_AT[0]} {PERSON_AT[1]}) scale({PERSON_SCALE})">'
        f'<path d="{PERSON}" fill="{SKIN}" stroke="{SKIN_LINE}" stroke-width="{2.5 / PERSON_SCALE:.2f}" '
        f'stroke-linejoin="round"/>'
        f'<path d="M3 26c-1.2 -1.2 -3.4 0 -2 1.8l2 2l2 -2c1.4 -1.8 -0.8 -3 -2 -1.8Z" fill="{ARTERY}"/>'
        f'<path d="M-14.5 50L-11 23.5L0 22L2.5 26.5M-5 54L-4 34L2.5 28" fill="none" stroke="{INK}" '
        f'stroke-width="{2 / PERSON_SCALE:.2f}" stroke-dasharray="1.3 1"/></g>\n',
        marker(1, 150, 226, (193, 180)),
        marker(2, 296, 158, (296, 91)),
        marker(3, 330, 246, wrist, groin),
    ]
    return svg("Heart with its arteries, one fully blocked, the same artery held open by a stent, "
               "and a small figure showing the wrist and groin", 460, 300, "".join(parts))


# A person standing, seen from the side (facing left, back to the right).
PERSON_SIDE = (
    "M150 14C130 14 118 30 120 48C121 58 114 62 118 68C122 74 126 76 132 76L134 90"
    "C112 96 104 120 106 150C108 180 112 200 114 226C116 252 122 272 126 300L130 400H206L210 300"
    "C220 276 224 250 214 226C206 206 208 180 212 150C214 124 206 100 178 90L176 74"
    "C186 66 188 44 178 26C172 18 162 14 150 14Z"
)
ARM_SIDE = "M140 100C132 140 130 190 138 240C140 250 152 250 154 240C160 200 166 150 168 110C166 94 146 92 140 100Z"


def kidney_tube() -> str:
    # one tube: curled inside the kidney, out through the skin of the back, down to the bag
    tube = "M178 181a5 5 0 1 0 5 6L232 193C262 197 262 234 250 262C240 290 222 300 206 308"
    parts = [
        body_shape(PERSON_SIDE),
        body_shape(ARM_SIDE),
        '<path d="M178 158C194 154 200 170 198 186C196 204 188 216 174 214C164 212 166 200 171 194'
        'C176 188 175 180 170 176C164 170 166 160 178 158Z" fill="#dba39a" stroke="#8a4b40" stroke-width="2.2"/>\n',
        '<path d="M160 182H400" stroke="#7a7a7a" stroke-width="2" stroke-dasharray="6 4"/>\n',  # the kidney's level
        f'<path d="{tube}" fill="none" stroke="{INK}" stroke-width="5" stroke-linecap="round"/>'
        f'<path d="{tube}" fill="none" stroke="#ffffff" stroke-width="2" stroke-linecap="round"/>\n',
        f'<rect x="207" y="180" width="8" height="24" rx="2" fill="#ffffff" stroke="{INK}" stroke-width="2"/>\n',
        # the bag strapped to the thigh, well below the kidney
        '<path d="M126 318H214M128 370H214" stroke="#8c8c8c" stroke-width="4"/>\n',
        f'<rect x="170" y="306" width="44" height="74" rx="8" fill="#ffffff" stroke="{INK}" stroke-width="2.4"/>'
        f'<path d="M172 336H212V372C212 376 210 378 206 378H178C174 378 172 376 172 372Z" fill="#f2e3a6"/>'
        f'<path d="M192 380V390" stroke="{INK}" stroke-width="4"/>\n',
        marker(1, 60, 130, (184, 168)),
        marker(2, 330, 150, (200, 190)),
        marker(3, 330, 330, (214, 340)),
    ]
    return svg("A person seen from the side: a kidney, a tube through the skin of the back into it, "
               "and a drainage bag below the kidney", 400, 400, "".join(parts))


DIAGRAMS = {
    "fistula-arm.svg": fistula_arm,
    "dialysis-access-arm.svg": dialysis_access_arm,
    "foot-veins.svg": foot_veins,
    "heart-arteries.svg": heart_arteries,
    "kidney-tube.svg": kidney_tube,
}


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name, draw in DIAGRAMS.items():
        (OUT / name).write_text(draw(), encoding="utf-8")
        print(f"{name}: {(OUT / name).stat().st_size} bytes")


if __name__ == "__main__":
    main()
