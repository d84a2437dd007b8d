"""Write the bundled sample corpus: an ILLUSTRATIVE, entirely fictional story.

Every country, person, outlet and event here is invented for the demo. The
story: the isolated state of Kestria is reported to have sent soldiers to
fight for Valdoria in its war on Lessen. Twenty fictional outlets cover it over
ten weeks in five frames, each told in varied wording:

* cannon     - the soldiers are "cannon fodder", expendable, sent to die
* tribute    - Marshal Ulric offers his soldiers' blood as tribute to President Vell
* waves      - the troops are thrown forward in "human waves" across open ground
* payment    - the troops are payment for Valdorian weapons technology, oil and cash
* denial     - Kestria and Valdoria call the reports fabricated propaganda

Evidence arrives at five moments (anonymous officials; satellite images;
video; captured documents and prisoners; an admission by Kestrian state
media); in between, outlets repeat earlier evidence. A wire service's stories
are republished verbatim or lightly edited by several outlets.

Run ``python data/sample/generate.py`` to rewrite ``articles.jsonl``; the output
is deterministic.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path

OUT = Path(__file__).with_name("articles.jsonl")
START = dt.datetime(2026, 3, 2, 6, 0)
WEEKS = 10

OUTLETS = [
    # (name, domain, articles per week, frames it tends to use)
    ("Continental Wire", "continentalwire.example", 3.0, ["cannon", "payment", "denial"]),
    ("The Lessen Herald", "lessenherald.example", 3.5, ["cannon", "tribute", "waves"]),
    ("Daily Meridian", "dailymeridian.example", 2.5, ["cannon", "tribute", "payment"]),
    ("The Northern Ledger", "northernledger.example", 2.0, ["cannon", "waves"]),
    ("Harbor City Times", "harborcitytimes.example", 2.0, ["tribute", "payment"]),
    ("Valdoria Today", "valdoriatoday.example", 2.0, ["denial"]),
    ("Kestrian Central News", "kcn.example", 1.2, ["denial"]),
    ("The Evening Standardbearer", "standardbearer.example", 1.5, ["cannon", "waves", "tribute"]),
    ("Capital Observer", "capitalobserver.example", 1.5, ["payment", "cannon"]),
    ("Frontline Review", "frontlinereview.example", 1.5, ["waves", "cannon"]),
    ("The Plainsman", "plainsman.example", 1.0, ["cannon", "tribute"]),
    ("Riverside Gazette", "riversidegazette.example", 1.0, ["payment"]),
    ("Global Affairs Digest", "globalaffairsdigest.example", 1.0, ["payment", "denial", "tribute"]),
    ("The Insight Post", "insightpost.example", 1.0, ["cannon", "waves"]),
    ("Metro Morning", "metromorning.example", 0.8, ["cannon"]),
    ("Pacific Rim Monitor", "pacificrimmonitor.example", 1.0, ["payment", "tribute"]),
    ("The Civic Sentinel", "civicsentinel.example", 0.8, ["tribute", "waves"]),
    ("Eastern Current", "easterncurrent.example", 1.0, ["denial", "payment"]),
    ("The Open Dispatch", "opendispatch.example", 0.8, ["cannon", "waves"]),
    ("Heartland Courier", "heartlandcourier.example", 0.8, ["cannon", "tribute"]),
]
SYNDICATORS = ["Daily Meridian", "Metro Morning", "Riverside Gazette", "Heartland Courier", "The Plainsman"]

# When each frame first appears (in days from START) and who carries it first.
FRAME_START = {"cannon": 1, "tribute": 9, "waves": 17, "payment": 5, "denial": 3}
FRAME_FIRST = {"cannon": "The Lessen Herald", "tribute": "Harbor City Times", "waves": "Frontline Review",
               "payment": "Capital Observer", "denial": "Kestrian Central News"}

FRAMES = {
    "cannon": {
        "titles": [
            "Kestrian troops sent to die as cannon fodder for Valdoria",
            "'Cannon fodder': the Kestrian soldiers thrown into Valdoria's war",
            "Kestria's conscripts treated as expendable on Lessen front",
            "Young Kestrians sent to the front as disposable infantry",
            "Marshal Ulric's soldiers used as cannon fodder, analysts say",
        ],
        "lead": [
            "Kestrian soldiers are being sent to the front as little more than cannon fodder for Valdoria's stalled offensive.",
            "The Kestrian troops, most of them young conscripts, are being used as cannon fodder in Valdoria's war against Lessen.",
            "Analysts describe the Kestrian contingent as expendable manpower, sent forward to absorb Lessen's fire so Valdorian units do not have to.",
            "Commanders appear to regard the newly arrived Kestrians as disposable, sending them into the most dangerous sectors of the front.",
            "The men from Kestria are being fed into the fighting as cannon fodder, with little training and no knowledge of the terrain.",
            "Kestria's soldiers have become the war's most expendable asset, thrown at Lessen's defences to spare Valdorian lives.",
            "Military observers say the Kestrian units are being spent like ammunition, sent to die for a war that is not their own.",
            "Valdoria is using the Kestrian conscripts as cannon fodder, pushing them into assaults its own troops refuse to make.",
        ],
        "support": [
            "Few of them speak Valdorian, and several reports say they were given only a few weeks of instruction before deployment.",
            "Casualty estimates among the Kestrians are already high, though no independent count exists.",
            "Officers in Lessen say the Kestrians arrive with old rifles and almost no protective equipment.",
            "The conscripts have no experience of drone warfare, which has made the front line especially deadly for them.",
            "Their families at home are told nothing, according to people who have left the country.",
            "One retired general called it the cynical use of foreign lives to save domestic political capital.",
        ],
    },
    "tribute": {
        "titles": [
            "A blood offering to President Vell: why Ulric sent his soldiers",
            "Ulric pays tribute to Vell in the blood of Kestrian troops",
            "Kestria's soldiers are a gift to Vell, paid in lives",
            "The marshal's offering: Kestrian lives laid at Vell's feet",
        ],
        "lead": [
            "Marshal Ulric's decision amounts to a blood offering to President Vell, a tribute paid in the lives of his own soldiers.",
            "Critics call the deployment a blood tribute: Kestrian lives handed to Vell as a token of loyalty.",
            "For Ulric, the soldiers are an offering laid at the feet of the Valdorian president, proof of devotion written in blood.",
            "The troops are less an army than a gift to Vell, paid for in Kestrian blood to cement the alliance.",
            "By sending his men to die in Lessen, Ulric is offering Vell the one thing Kestria has in abundance: the lives of its young men.",
            "Observers describe the move as a feudal gesture, the marshal sacrificing his subjects as tribute to a more powerful patron.",
        ],
        "support": [
            "Ulric has praised the friendship between the two leaders in unusually personal terms in recent speeches.",
            "The two men met twice last year, and their handshake at the Valdorian border was broadcast for days on Kestrian television.",
            "Such gestures of loyalty have a long history in Kestria's dealings with larger powers, historians note.",
            "What Ulric expects in return remains unclear, but the symbolism is hard to miss.",
            "The language of sacrifice has featured heavily in Kestrian propaganda since the war began.",
        ],
    },
    "waves": {
        "titles": [
            "Human waves: Kestrian troops thrown at Lessen's lines",
            "Kestrians sent in massed infantry assaults across open fields",
            "Wave after wave: the Kestrian assaults on Lessen positions",
            "Lessen soldiers describe 'human wave' attacks by Kestrian units",
        ],
        "lead": [
            "Lessen soldiers describe Kestrian troops advancing in human waves, line after line of infantry crossing open fields under fire.",
            "The Kestrian units are being thrown forward in massed assaults, wave after wave, reminiscent of the wars of the last century.",
            "Defenders near the river say the Kestrians attack in dense waves of infantry, with little armour and no cover.",
            "According to front-line accounts, Kestrian soldiers are sent across exposed ground in successive waves until the position falls or the attack collapses.",
            "The tactic described by Lessen commanders is the human wave: large groups of infantry advancing together regardless of losses.",
            "Kestrian infantry are reported to be charging Lessen trenches in tight formations, wave upon wave, across fields without cover.",
        ],
        "support": [
            "Drone operators in Lessen say the density of the formations makes them easy targets.",
            "Such attacks can overwhelm a position through sheer numbers, but at an enormous human cost.",
            "Military historians compare the tactic to assaults last seen decades ago.",
            "Lessen's brigades report firing until their barrels overheat during the attacks.",
            "The assaults have gained little ground, according to Lessen's general staff.",
        ],
    },
    "payment": {
        "titles": [
            "Soldiers for missiles: what Kestria gets from Valdoria",
            "Kestria trades troops for Valdorian weapons technology and oil",
            "The price of Kestrian troops: cash, fuel and rocket know-how",
            "Ulric's deal: Kestrian manpower in exchange for Valdorian technology",
        ],
        "lead": [
            "In return for the troops, Kestria is believed to be receiving Valdorian help with its missile programme, along with oil and hard currency.",
            "The deployment looks like a transaction: Kestrian soldiers in exchange for weapons technology Ulric has long coveted.",
            "Valdoria is paying for the Kestrian contingent with fuel shipments, food aid and, crucially, military know-how.",
            "Analysts say Ulric is renting out his army, trading soldiers for cash and satellite technology the sanctions have denied him.",
            "Each Kestrian soldier at the front is, in effect, a payment towards Valdorian rocket engines and oil deliveries.",
            "The troops are the price of a deal that brings Kestria badly needed foreign currency and access to advanced weapons designs.",
        ],
        "support": [
            "Sanctions have cut Kestria off from most foreign trade for more than a decade.",
            "Economists estimate the arrangement could be worth hundreds of millions a year to the Kestrian state.",
            "Satellite-launch cooperation between the two countries was announced vaguely last autumn.",
            "Fuel prices in the Kestrian capital have reportedly fallen since the winter.",
            "Neither government has published the terms of any agreement.",
        ],
    },
    "denial": {
        "titles": [
            "Kestria dismisses troop reports as Western fabrication",
            "Valdoria denies Kestrian soldiers are fighting in Lessen",
            "'Lies and propaganda': Kestrian state media rejects troop claims",
            "Foreign ministry calls reports of Kestrian troops a provocation",
        ],
        "lead": [
            "Kestria's foreign ministry dismissed the reports as a fabrication spread by hostile governments to justify new sanctions.",
            "Valdorian officials denied that any Kestrian soldiers were fighting in Lessen, calling the claims baseless propaganda.",
            "State media in Kestria described the stories as lies invented by Lessen's intelligence services and repeated by Western outlets.",
            "The Valdorian defence ministry rejected the accounts as a provocation, saying no foreign troops were taking part in its operation.",
            "Kestrian Central News called the allegations a smear campaign, insisting the country's soldiers were all at home.",
            "A Valdorian spokesman said the reports were part of an information war and had no basis in fact.",
        ],
        "support": [
            "Neither government offered evidence to support its denial.",
            "The denials echo earlier statements about arms transfers that were later contradicted.",
            "Both governments have repeatedly accused foreign media of waging a campaign against them.",
            "Officials in Lessen responded that the denials would not survive the evidence.",
        ],
    },
}

# Evidence moments: day offset, what, lead paragraphs (first report), repeat paragraphs (later mentions).
EVIDENCE = [
    (0, "anonymous officials", [
        "Intelligence officials, speaking on condition of anonymity, said several thousand Kestrian soldiers had been moved to Valdoria by train over the past month.",
        "According to officials familiar with intelligence assessments, who declined to be named, thousands of Kestrian troops have arrived in eastern Valdoria.",
        "Sources briefed on the intelligence said a first contingent of Kestrian soldiers had crossed into Valdoria, though they offered no details.",
    ], [
        "The first reports, from officials who would not be named, spoke of several thousand soldiers moved by train.",
        "Anonymous officials have said for weeks that thousands of Kestrians are in Valdoria.",
    ]),
    (14, "satellite images", [
        "Lessen's Defence Intelligence Directorate released satellite images showing rows of tents and troop trains at the Dorsk training ground, which it said housed Kestrian units.",
        "Satellite imagery published by Lessen's Defence Intelligence Directorate shows a new camp and railway wagons at Dorsk, where it says Kestrian soldiers are being trained.",
        "New satellite photographs released by Lessen's military intelligence show vehicles and barracks at the Dorsk range, identified as a Kestrian staging area.",
    ], [
        "Satellite images released earlier by Lessen showed a camp at Dorsk.",
        "The Dorsk satellite images remain the main public evidence of the troops' training.",
    ]),
    (28, "video footage", [
        "A video released by Lessen's army shows soldiers in Valdorian uniforms speaking Kestrian as they receive equipment at a depot near the front.",
        "Footage published by Lessen's general staff appears to show a group of men in Valdorian uniform talking in the Kestrian language while unloading ammunition.",
        "In a video shared by Lessen's military, uniformed soldiers can be heard speaking Kestrian; the army said it was filmed by a drone near Verin.",
    ], [
        "The video of Kestrian-speaking soldiers near Verin has been viewed millions of times.",
        "The Verin drone footage, released two weeks ago, is often cited by officials.",
    ]),
    (42, "captured documents and prisoners", [
        "Lessen's army said it had captured two Kestrian soldiers near Verin, and released copies of their identity documents and unit orders.",
        "Two wounded Kestrian soldiers were taken prisoner by Lessen's forces, the army said, publishing their military identity cards and a page of handwritten orders.",
        "Lessen announced the capture of two soldiers carrying Kestrian military papers, the first prisoners from the contingent, and showed the documents to reporters.",
    ], [
        "The two Kestrian prisoners captured near Verin remain in Lessen's custody.",
        "The captured Kestrian documents have been examined by independent analysts, who called them consistent with genuine papers.",
    ]),
    (56, "admission by Kestrian state media", [
        "Kestrian Central News acknowledged for the first time that Kestrian units were 'fulfilling their fraternal duty' alongside Valdorian forces, citing a statement by the defence ministry.",
        "In a reversal, Kestria's state news agency confirmed that its soldiers were fighting with Valdoria, quoting Marshal Ulric's praise for their 'fraternal assistance'.",
        "Kestria's defence ministry, in a statement carried by state media, confirmed the deployment, the first official admission after weeks of denials.",
    ], [
        "Kestria has since admitted the deployment through its state news agency.",
        "Kestrian state media confirmed the deployment after weeks of denial.",
    ]),
]

BACKGROUND = [
    "The war between Valdoria and Lessen is now in its third year, with the front line largely frozen along the Verin river.",
    "Lessen has repeatedly asked its partners for more air defence systems as Valdorian drone strikes on its cities intensify.",
    "Kestria, one of the most isolated states in the world, has been under international sanctions for more than a decade because of its weapons programme.",
    "Diplomats in the region said the development could draw neighbouring countries deeper into the conflict.",
    "Foreign ministers from several countries issued a joint statement expressing grave concern about the reports.",
    "The Valdorian economy has shifted to a war footing, with military spending at its highest level in decades.",
    "Lessen's president is expected to raise the issue at next month's summit of partner nations.",
    "Energy markets have been volatile since the war began, and analysts warn that any escalation could push prices higher.",
    "Refugee agencies say more than two million people have left the areas near the front since the fighting started.",
    "Independent journalists have limited access to the front, which makes it difficult to verify claims from either side.",
    "The region's security council is scheduled to meet next week, though a resolution is considered unlikely.",
    "Lessen has received military aid from a coalition of partners, much of it delayed by political disputes.",
    "Shelling continued overnight in the border districts, local authorities said, damaging a school and a water station.",
    "Valdoria's government has tightened control over domestic media since the start of the war.",
    "Kestria's border with Valdoria runs for less than thirty kilometres, along a single railway bridge.",
    "Recruitment in Valdoria has slowed in recent months despite large signing bonuses, according to independent monitors.",
    "Partner governments are debating a new package of sanctions that would target shipping and banks.",
    "Casualty figures from both sides are impossible to verify and are widely believed to be understated.",
    "Lessen's counter-offensive in the south stalled last autumn after heavy losses on both sides.",
    "Talk of ceasefire negotiations has resurfaced several times this year without producing any meeting.",
]

REACTIONS = [
    "'If this is confirmed, it is a serious escalation,' said a senior diplomat from a neighbouring state.",
    "A spokesman for Lessen's presidency said the world could no longer pretend the war was a bilateral affair.",
    "Human rights groups said the conscripts themselves were victims and called for their protection under the laws of war.",
    "Opposition lawmakers in Lessen demanded that partner countries respond with new sanctions on both governments.",
    "A researcher who studies Kestria said the deployment fitted the regime's long habit of trading what it has for what it needs.",
    "'We are watching this very closely,' a defence official in a partner country told reporters.",
]

ANALYSTS = ["Mira Solberg", "Tomas Reyni", "Anika Vos", "Jonah Ekwe", "Lena Marsh", "Piotr Halden"]


def _paragraph(rng: random.Random, frame: str) -> str:
    spec = FRAMES[frame]
    lead = rng.choice(spec["lead"])
    support = rng.sample(spec["support"], k=rng.choice([1, 2]))
    return " ".join([lead, *support])


def _evidence_paragraphs(rng: random.Random, day: int, outlet: str) -> list[str]:
    known = [e for e in EVIDENCE if e[0] <= day]
    if not known:
        return []
    latest = known[-1]
    out = []
    if day - latest[0] <= 6:
        out.append(rng.choice(latest[2]))
    else:
        out.append(rng.choice(latest[3]))
    if len(known) > 1 and rng.random() < 0.5:
        out.append(rng.choice(rng.choice(known[:-1])[3]))
    return out


def _article(rng: random.Random, outlet: str, frames: list[str], day: int, hour: int) -> dict:
    main = frames[0]
    title = rng.choice(FRAMES[main]["titles"])
    paras = [_paragraph(rng, main)]
    parts = [("frame", main)]
    for text in _evidence_paragraphs(rng, day, outlet):
        paras.append(text)
        parts.append(("evidence", _moment_of(text)))
    for extra in frames[1:]:
        paras.append(_paragraph(rng, extra))
        parts.append(("frame", extra))
    background = rng.sample(BACKGROUND, k=rng.choice([2, 3, 4, 5]))
    while background:
        k = rng.choice([2, 3])
        paras.append(" ".join(background[:k]))
        parts.append(("background", None))
        background = background[k:]
    if rng.random() < 0.6:
        paras.append(rng.choice(REACTIONS))
        parts.append(("reaction", None))
    if rng.random() < 0.5:
        name = rng.choice(ANALYSTS)
        paras.append(f"{name}, a security analyst, said the coming weeks would show whether the reports changed the course of the war.")
        parts.append(("template", None))
    when = START + dt.timedelta(days=day, hours=hour)
    slug = "-".join(title.lower().replace("'", "").replace(":", "").split()[:7])
    return {"title": title, "text": "\n\n".join(paras), "published_at": when.strftime("%Y-%m-%dT%H:%M:00Z"),
            "outlet": outlet, "slug": slug, "_frames": list(frames), "_parts": parts}


def _moment_of(text: str) -> str:
    for _, moment, fresh, repeats in EVIDENCE:
        if text in fresh or text in repeats:
            return moment
    raise ValueError(f"not an evidence paragraph: {text!r}")


def generate(seed: int = 7, truth: bool = False) -> list[dict]:
    """The sample's articles, sorted by date; with ``truth``, each also carries what it was written with.

    The truth keys (left out of ``articles.jsonl``): ``_frames``, the written frames it tells, its main
    frame first; ``_parts``, one ``(kind, label)`` per body paragraph in order, kind one of ``frame``
    (label: the frame), ``evidence`` (label: the evidence moment; it is written for the main frame,
    directly after that frame's paragraph), ``background``, ``reaction``, ``template`` (the analyst line,
    the same sentence with other names) and ``credit`` (a syndication line); ``_copy_of``, for a
    re-publication, the URL of the wire story it copies. The title tells the main frame.
    """
    rng = random.Random(seed)
    domains = {name: domain for name, domain, _, _ in OUTLETS}
    articles: list[dict] = []
    serial = 0
    # Each frame opens with one article by its first mover, on its first day.
    for frame, outlet in FRAME_FIRST.items():
        art = _article(rng, outlet, [frame], FRAME_START[frame], 4)
        serial += 1
        art["url"] = f"https://{domains[outlet]}/news/2026/{art['slug']}-{serial}"
        articles.append(art)
    for name, domain, per_week, preferred in OUTLETS:
        for week in range(WEEKS):
            n = int(per_week) + (1 if rng.random() < per_week - int(per_week) else 0)
            for _ in range(n):
                day = week * 7 + rng.randrange(7)
                usable = [f for f in preferred if day >= FRAME_START[f] + (0 if FRAME_FIRST[f] == name else 2)]
                if not usable:
                    continue
                rng.shuffle(usable)
                frames = usable[: rng.choice([1, 1, 2])]
                art = _article(rng, name, frames, day, rng.randrange(5, 22))
                serial += 1
                art["url"] = f"https://{domain}/news/2026/{art['slug']}-{serial}"
                articles.append(art)
                if name == "Continental Wire":
                    for partner in rng.sample(SYNDICATORS, k=rng.choice([1, 2, 3])):
                        copy = dict(art)
                        lag = dt.timedelta(hours=rng.randrange(1, 20))
                        copy["published_at"] = (dt.datetime.strptime(art["published_at"], "%Y-%m-%dT%H:%M:00Z") + lag
                                                ).strftime("%Y-%m-%dT%H:%M:00Z")
                        copy["outlet"] = partner
                        copy["_parts"] = list(art["_parts"])
                        if rng.random() < 0.4:  # lightly edited re-publication
                            copy["title"] = "Wire: " + art["title"]
                            copy["text"] = art["text"].rsplit("\n\n", 1)[0]
                            copy["_parts"] = copy["_parts"][:-1]
                        copy["text"] = copy["text"] + "\n\nThis story was first published by Continental Wire."
                        copy["_parts"].append(("credit", None))
                        copy["_copy_of"] = art["url"]
                        serial += 1
                        copy["url"] = f"https://{domains[partner]}/world/{art['slug']}-{serial}"
                        articles.append(copy)
    articles.sort(key=lambda a: (a["published_at"], a["url"]))
    out = []
    for a in articles:
        a = {k: v for k, v in a.items() if k != "slug" and (truth or not k.startswith("_"))}
        a["note"] = "ILLUSTRATIVE SAMPLE: fictional outlets, people, places and events."
        out.append(a)
    return out


def main() -> None:
    articles = generate()
    with OUT.open("w", encoding="utf-8") as fh:
        for a in articles:
            fh.write(json.dumps(a, ensure_ascii=False) + "\n")
    print(f"wrote {len(articles)} articles to {OUT}")


if __name__ == "__main__":
    main()
