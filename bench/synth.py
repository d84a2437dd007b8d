"""A synthetic news archive of any size, to measure how the product scales.

    python bench/synth.py --articles 100000 --out build/synth/100k.jsonl [--seed 1] [--years 2]
    python bench/synth.py --articles 100000 --week 2019-06-03 --out build/synth/week.jsonl
    python bench/synth.py --articles 100000 --years 20 --start 2000-01-03 --out build/synth/long.jsonl

Writes JSON Lines with the fields the product ingests (``title``, ``text``, ``published_at``, ``outlet``,
``url``), one article per line, day by day in date order, with a progress line on stderr every 10,000
articles. Memory does not grow with the archive: each day is made from its own random generator
(seeded by the seed and the day) and from stories and outlets that are pure functions of the seed, so
nothing is kept between days. The same seed and arguments give the same bytes; ``--week MONDAY`` writes
exactly the lines of that week that the whole archive has (what a weekly update adds), without writing
the rest. Stories come at a fixed rate (3 a week) and a day's articles at ``articles / weeks``, so an archive
N times longer with N times the articles holds the same stories and the same articles a week: it begins with
the shorter one, day for day (``--start`` sets its first Monday, so a 20-year archive can end where a 2-year
one does).

What the archive holds (all invented; place and people names are made from syllables):

* hundreds of outlets (``--outlets``, 300) with a Zipf-like share of the output, each with its own
  furniture (a newsletter line, a copyright line, a byline) at the end of every article;
* a few wire services whose stories are republished the same day by 1-4 subscribers, verbatim or lightly
  edited (title prefixed, last paragraph cut, a credit line added);
* stories (about 3 a week) on one of several domains (conflict, economy, health, environment, politics,
  technology), each with 2-4 frames from the usual typology (responsibility, cost, threat, human interest,
  morality, cover-up, conflict): a frame starts in one outlet on its first day and is taken up by others
  over the following days (each outlet's lag drawn once per frame), with attention decaying after a peak;
  every frame is written in several paraphrases with the story's own names, so a frame's articles share
  meaning rather than strings;
* evidence paragraphs (first told, then repeated), story background paragraphs repeated across articles,
  quotes with varied speakers, and routine articles (sport, weather, markets, councils, culture) made from
  templates with varied fills, about half of the archive.

Articles run to 9-20 paragraphs (about 300 words on average, 150-500), about 2 KB of JSON each, so a
1M-article archive is about 2 GB; it writes about 3,000 articles a second on one core.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
from pathlib import Path

START = dt.date(2018, 1, 1)  # a Monday
WEEKDAY_WEIGHT = (1.0, 1.0, 1.0, 1.0, 1.0, 0.6, 0.5)  # Monday..Sunday
STORY_DAYS = 60  # the longest a story runs

SYL = ["ka", "lo", "ven", "dor", "mi", "ra", "tes", "bel", "an", "gor", "vi", "sul", "er", "to", "nak", "ri",
       "pel", "ost", "ha", "lin", "mar", "qu", "den", "sa", "vol", "brin", "ek", "ta", "mor", "ly"]
FIRST = ["Anna", "Marek", "Lena", "Tomas", "Ines", "Jonah", "Mira", "Piotr", "Sara", "Daniel", "Amal", "Yusuf",
         "Clara", "Felix", "Hana", "Omar", "Rosa", "Ivan", "Nadia", "Pavel", "Lucia", "Kofi", "Elif", "Noor"]
ROLES = ["a spokesperson for the ministry", "an economist at the national bank", "a professor of political science",
         "a local councillor", "a senior diplomat", "a union leader", "a former defence official", "an analyst",
         "a lawyer representing the families", "a researcher at an independent institute", "a business owner",
         "the head of a regional hospital", "an opposition lawmaker", "a government adviser"]
NOUNS = ["Herald", "Times", "Post", "Courier", "Gazette", "Observer", "Ledger", "Tribune", "Sentinel", "Record",
         "Dispatch", "Review", "Monitor", "Chronicle", "Journal", "Express", "Standard", "Bulletin", "News", "Voice"]

DOMAINS = {
    "conflict": {
        "event": ["the shelling of {place}", "the border clashes near {place}", "the siege of {place}",
                  "the drone strikes on {place}", "the troop build-up around {place}"],
        "facts": ["Officials said {n} people had been killed and {m} wounded in the fighting around {place}.",
                  "Satellite images published on {weekday} show damaged buildings and vehicles near {place}.",
                  "The defence ministry of {country} said its forces had returned fire after coming under attack.",
                  "Aid agencies said about {n},000 residents had fled {place} since the fighting began."],
        "background": ["{country} and its neighbour have disputed the territory around {place} for decades.",
                       "A ceasefire agreed two years ago has been broken repeatedly by both sides.",
                       "Independent journalists have limited access to the area, which makes claims hard to verify.",
                       "The region's security council is due to meet next week, though no resolution is expected."],
    },
    "economy": {
        "event": ["the collapse of {org}", "the rise in fuel prices in {country}", "the closure of the {place} plant",
                  "the pension reform in {country}", "the currency crisis in {country}"],
        "facts": ["Figures released on {weekday} show prices rose {n}.{m} per cent over the year.",
                  "About {n},000 jobs depend directly on {org}, according to the trade ministry.",
                  "Shares in {org} fell {n} per cent in early trading before recovering slightly.",
                  "The central bank of {country} left its main interest rate unchanged at {m} per cent."],
        "background": ["Growth in {country} has been weak since the pandemic, and debt is at a record high.",
                       "Unions have called for a general strike if the government does not change course.",
                       "The {place} region has relied on heavy industry for most of its jobs since the 1960s.",
                       "Economists are divided on whether the measures will reduce inflation this year."],
    },
    "health": {
        "event": ["the outbreak in {place}", "the hospital waiting lists in {country}", "the contaminated water in {place}",
                  "the shortage of medicines in {country}", "the vaccine campaign in {country}"],
        "facts": ["Health officials reported {n} new cases in {place} on {weekday}, up from {m} a week earlier.",
                  "Laboratory tests found levels {n} times above the legal limit in samples from {place}.",
                  "The health ministry of {country} said {n},000 patients were waiting more than a year for treatment.",
                  "Hospitals in {place} have postponed {n} operations to free beds."],
        "background": ["The health service in {country} has been short of nurses for years.",
                       "The water network in {place} was built in the 1950s and has not been fully replaced.",
                       "Public trust in health authorities fell sharply during the last epidemic.",
                       "The regional hospital in {place} serves more than half a million people."],
    },
    "environment": {
        "event": ["the chemical spill at {place}", "the floods in {place}", "the wildfires near {place}",
                  "the drought in {country}", "the mine expansion at {place}"],
        "facts": ["Emergency services evacuated {n},000 people from {place} overnight.",
                  "Water levels in the {place} river reached {n}.{m} metres, the highest on record.",
                  "Inspectors found that {org} had exceeded its emission permits {n} times in two years.",
                  "The fire has burnt about {n},000 hectares of forest around {place}, officials said."],
        "background": ["Scientists have warned for years that the {place} basin is vulnerable to extreme weather.",
                       "{org} has operated in the area since the 1980s and employs most of the town.",
                       "Environmental groups have challenged the permits in court several times.",
                       "The government of {country} has promised to cut emissions by half within a decade."],
    },
    "politics": {
        "event": ["the election in {country}", "the resignation of minister {person}", "the corruption inquiry into {org}",
                  "the constitutional reform in {country}", "the protests in {place}"],
        "facts": ["Turnout was {n} per cent, according to the electoral commission of {country}.",
                  "Prosecutors said they had searched {m} offices linked to {org} on {weekday}.",
                  "Police estimated that {n},000 people took part in the march through {place}.",
                  "The parliament of {country} approved the bill by {n} votes to {m}."],
        "background": ["The governing coalition in {country} has a majority of only a few seats.",
                       "{person} has been in politics for more than twenty years and led the party since 2012.",
                       "Opposition parties have boycotted several votes in protest at the government's reforms.",
                       "International observers will monitor the vote, as they have since 2004."],
    },
    "technology": {
        "event": ["the data breach at {org}", "the outage of the {place} network", "the ban on {org}'s app in {country}",
                  "the chip factory planned in {place}", "the surveillance programme in {country}"],
        "facts": ["{org} said the records of about {n} million customers had been exposed.",
                  "The outage lasted {n} hours and affected services across {place}, the operator said.",
                  "The regulator of {country} fined {org} {n} million for breaching data rules.",
                  "Investment in the {place} plant is put at {n} billion over {m} years."],
        "background": ["{org} has grown quickly since it was founded a decade ago and now operates in {m} countries.",
                       "Data protection law in {country} was tightened after a series of leaks in recent years.",
                       "The {place} region has tried for years to attract technology companies with tax breaks.",
                       "Security researchers had warned about weaknesses in the systems months ago."],
    },
}

# Frame types (the usual typology) and the ways each is written: a lead sentence, then support.
FRAMES = {
    "responsibility": (["{actor} bears the blame for {event}, critics say, after ignoring repeated warnings.",
                        "Responsibility for {event} lies with {actor}, who was warned and did nothing.",
                        "Critics put {event} squarely at the door of {actor}, accusing them of years of neglect.",
                        "{actor} failed to act on clear warnings before {event}, according to its critics.",
                        "The failures that led to {event} were the work of {actor}, opponents argue."],
                       ["Internal memos show the risks were raised at least {n} times.",
                        "Calls for an independent inquiry into the decisions of {actor} are growing.",
                        "{actor} has rejected the accusations and said it followed every procedure."]),
    "cost": (["{event} will cost ordinary families in {country} dearly, with bills set to rise for years.",
              "The price of {event} will be paid by taxpayers, who face a bill of about {n} billion.",
              "Households in {country} will bear the financial burden of {event} long after the headlines fade.",
              "{event} is an economic blow that will hit the poorest households in {country} hardest.",
              "Economists warn that the cost of {event} to the public purse could reach {n} billion."],
             ["Small businesses in {place} say they are already losing customers.",
              "The finance ministry has not published its own estimate of the cost.",
              "Insurers expect claims to rise sharply in the coming months."]),
    "threat": (["{event} is a danger that could spread far beyond {place}, officials fear.",
                "Experts warn that {event} threatens the whole region and could get much worse.",
                "{event} poses a serious risk to neighbouring areas, according to security experts.",
                "What began with {event} could become a wider crisis if nothing is done, analysts warn.",
                "Officials fear {event} is only the beginning of a threat that will reach other parts of {country}."],
               ["Neighbouring governments have put their emergency services on alert.",
                "Contingency plans for a wider crisis are being drawn up, officials said.",
                "The warning signs have been visible for months, experts say."]),
    "human": (["For the families of {place}, {event} has meant losing homes, work and loved ones.",
               "Behind {event} are ordinary people in {place} whose lives have been turned upside down.",
               "Residents of {place} describe sleepless nights and empty shelves since {event}.",
               "{person}, a teacher in {place}, says {event} has taken everything her family built.",
               "The human toll of {event} is felt most by children and the elderly in {place}."],
              ["Volunteers have set up a kitchen in the school gym to feed displaced families.",
               "Many residents say they have received no help from the authorities.",
               "'We have nothing left,' one mother said, standing outside what remained of her house."]),
    "morality": (["{event} is a moral failure that shames everyone who looked away, church leaders say.",
                  "Allowing {event} to happen was simply wrong, and the country must face that, campaigners argue.",
                  "{event} raises a question of conscience that no government in {country} can dodge.",
                  "Religious leaders called {event} an injustice that betrays the values of {country}.",
                  "The ethics of {event} cannot be reduced to numbers, campaigners insist."],
                 ["An open letter signed by {n} public figures calls for an apology.",
                  "Churches across {country} held vigils on {weekday}.",
                  "Philosophers and clergy have joined the debate on radio and television."]),
    "coverup": (["Officials hid the truth about {event} for weeks, leaked documents suggest.",
                 "The government knew about {event} long before it admitted it, according to insiders.",
                 "A cover-up of {event} reached the highest levels of {actor}, whistleblowers claim.",
                 "Documents seen by reporters show {actor} concealed what it knew about {event}.",
                 "Early warnings about {event} were buried by {actor}, former staff say."],
                ["{actor} denies hiding anything and says it published information as soon as it was verified.",
                 "A parliamentary committee has asked for the documents to be released in full.",
                 "Two officials have been suspended pending an internal review."]),
    "conflict": (["{event} has opened a bitter fight between {actor} and its opponents.",
                  "{event} pits {actor} against the opposition in a clash that is turning personal.",
                  "Rival camps are trading accusations over {event}, deepening the divide in {country}.",
                  "The row over {event} has become a test of strength between {actor} and its critics.",
                  "{actor} and its rivals are locked in a war of words over {event}."],
                 ["Neither side has shown any sign of backing down.",
                  "Commentators say the dispute is more about the next election than about {event}.",
                  "Supporters of both camps held rival rallies in {place} at the weekend."]),
}

ROUTINE = {
    "sport": ["{place} {team} beat {place2} {team} {n}-{m} on {weekday} night in front of a crowd of {k},000.",
              "The {team} coach, {person}, said the side had deserved the win after a difficult first half.",
              "{person} scored twice in the second half to keep {place} {team} top of the table.",
              "The next match is away at {place2} on {weekday}, and the squad has no new injuries."],
    "weather": ["Forecasters expect temperatures of up to {n} degrees in {place} on {weekday}.",
                "Heavy rain is likely across the {place} region, with {m} centimetres possible in places.",
                "The weather service has issued a yellow warning for wind along the coast near {place}.",
                "Conditions should settle by the weekend, with sunny spells and light winds."],
    "markets": ["The main index closed {n}.{m} per cent higher on {weekday}, led by energy shares.",
                "Shares in {org} rose {n} per cent after the company reported higher quarterly profits.",
                "The currency weakened slightly against the dollar in thin trading.",
                "Analysts expect volatility to continue until the central bank meets next month."],
    "council": ["{place} council approved plans for {n} new homes on the former depot site on {weekday}.",
                "Councillor {person} said the scheme would bring badly needed housing to the town centre.",
                "Residents raised concerns about traffic and parking at a public meeting attended by {n} people.",
                "Work is expected to start next spring and take about {m} years."],
    "culture": ["The {place} festival opens on {weekday} with {n} concerts over {m} days.",
                "{person}, the festival's director, said ticket sales were the best in a decade.",
                "An exhibition of {place} painters runs at the city museum until the end of the month.",
                "Organisers have added extra buses from the station for the closing weekend."],
}
TEAMS = ["United", "Rovers", "City", "Athletic", "Wanderers", "Rangers"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _name(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYL) for _ in range(parts)).capitalize()


class Archive:
    """The archive for one seed, size and span: outlets and stories are pure functions of these."""

    def __init__(self, articles: int, seed: int = 1, years: float = 2.0, outlets: int = 300, wires: int = 5,
                 start: dt.date = START):
        if articles < 1 or outlets < wires + 5:
            raise ValueError("need at least one article and more outlets than wire services")
        if start.weekday() != 0:
            raise ValueError(f"the archive must start on a Monday: {start} is a {WEEKDAYS[start.weekday()]}")
        self.n, self.seed, self.start = articles, seed, start
        self.days = max(7, int(round(years * 365.25 / 7)) * 7)
        self.wtot = self._cum_weight(self.days)
        rng = random.Random(f"{seed}:outlets")
        self.outlets = []
        names = set()
        while len(self.outlets) < outlets:
            city = _name(rng, rng.choice([2, 3]))
            name = f"{rng.choice(['The ', ''])}{city} {rng.choice(NOUNS)}"
            if name in names:
                continue
            names.add(name)
            domain = name.lower().replace("the ", "").replace(" ", "") + ".example"
            self.outlets.append({"name": name, "domain": domain, "city": city,
                                 "reporters": [f"{rng.choice(FIRST)} {_name(rng)}" for _ in range(4)]})
        self.wires = self.outlets[:wires]
        for w in self.wires:
            w["name"] = w["name"].split(" ")[-2] + " Wire" if len(w["name"].split(" ")) > 1 else w["name"] + " Wire"
            w["domain"] = w["name"].lower().replace(" ", "") + ".example"
        self.papers = self.outlets[wires:]
        # A Zipf-like share of the output: outlet i writes in proportion to 1 / (i + 10).
        weights = [1.0 / (i + 10) for i in range(len(self.papers))]
        total = sum(weights)
        self.cum = list(_accumulate(w / total for w in weights))
        self.stories = max(3, int(self.days / 7 * 3))
        self.countries = [_name(random.Random(f"{seed}:country:{i}"), 3) + "ia" for i in range(40)]

    # -- how many articles each day -------------------------------------------------------------------
    @staticmethod
    def _cum_weight(day: int) -> float:
        weeks, rest = divmod(day, 7)
        return weeks * sum(WEEKDAY_WEIGHT) + sum(WEEKDAY_WEIGHT[:rest])

    def count(self, day: int) -> int:
        return (round(self.n * self._cum_weight(day + 1) / self.wtot)
                - round(self.n * self._cum_weight(day) / self.wtot))

    def date(self, day: int) -> dt.date:
        return self.start + dt.timedelta(days=day)

    # -- stories --------------------------------------------------------------------------------------
    def story(self, s: int) -> dict:
        rng = random.Random(f"{self.seed}:story:{s}")
        start = int(s * self.days / self.stories) + rng.randrange(3)
        domain = rng.choice(sorted(DOMAINS))
        country = rng.choice(self.countries)
        fills = {"place": _name(rng, rng.choice([2, 3])), "country": country,
                 "org": f"{_name(rng)} {rng.choice(['Group', 'Holdings', 'Energy', 'Systems', 'Bank', 'Industries'])}",
                 "person": f"{rng.choice(FIRST)} {_name(rng, 3)}"}
        event = rng.choice(DOMAINS[domain]["event"]).format(**fills)
        actor = rng.choice([f"the government of {country}", fills["org"], f"the {fills['place']} authorities",
                            f"minister {fills['person']}", f"the army of {country}"])
        kinds = rng.sample(sorted(FRAMES), k=rng.choice([2, 3, 3, 4]))
        frames = []
        for i, kind in enumerate(kinds):
            first = len(self.wires) + rng.randrange(len(self.papers))
            frames.append({"kind": kind, "offset": 0 if i == 0 else rng.randrange(1, 12), "first": first,
                           "speed": rng.uniform(0.5, 4.0),  # mean days for an outlet to take it up
                           "reach": rng.uniform(0.2, 0.8), "variants": rng.sample(range(5), k=rng.choice([3, 4, 5]))})
        return {"id": s, "start": start, "domain": domain, "fills": fills, "event": event, "actor": actor,
                "frames": frames, "peak": rng.uniform(0.5, 3.0), "half_life": rng.uniform(2.0, 12.0),
                "length": rng.randrange(10, STORY_DAYS)}

    def stories_on(self, day: int) -> list[dict]:
        lo = max(0, int((day - STORY_DAYS - 3) * self.stories / self.days) - 1)
        hi = min(self.stories, int(day * self.stories / self.days) + 2)
        out = []
        for s in range(lo, hi):
            st = self.story(s)
            if st["start"] <= day < st["start"] + st["length"]:
                out.append(st)
        return out

    def adopts(self, story: dict, f: int, outlet: int) -> float | None:
        """The day (from the story's start) outlet ``outlet`` first uses frame ``f``, or None: drawn once per
        (story, frame, outlet), so every day agrees."""
        frame = story["frames"][f]
        if outlet == frame["first"]:
            return frame["offset"]
        rng = random.Random(f"{self.seed}:adopt:{story['id']}:{f}:{outlet}")
        if rng.random() > frame["reach"]:
            return None
        return frame["offset"] + 1 + rng.expovariate(1.0 / frame["speed"])

    # -- one day --------------------------------------------------------------------------------------
    def day_articles(self, day: int) -> list[dict]:
        rng = random.Random(f"{self.seed}:day:{day}")
        date = self.date(day)
        want = self.count(day)
        stories = self.stories_on(day)
        heat = [st["peak"] * 0.5 ** ((day - st["start"]) / st["half_life"]) for st in stories]
        story_share = min(0.6, sum(heat) / (sum(heat) + 2.0)) if stories else 0.0
        out: list[dict] = []
        serial = 0
        while len(out) < want:
            serial += 1
            hour = rng.randrange(5, 15)
            is_wire = rng.random() < 0.08
            outlet = rng.choice(self.wires) if is_wire else self.papers[self._pick(rng)]
            idx = self.outlets.index(outlet)
            art = None
            if stories and rng.random() < story_share:
                st = rng.choices(stories, weights=heat)[0]
                art = self._story_article(rng, st, day, idx, outlet)
            if art is None:
                art = self._routine_article(rng, day, outlet)
            stamp = dt.datetime.combine(date, dt.time(hour, rng.randrange(60)))
            slug = "-".join("".join(c for c in art["title"].lower() if c.isalnum() or c == " ").split()[:7])
            art["text"] = "\n\n".join(art["paras"] + self._furniture(rng, outlet, date))
            row = {"title": art["title"], "text": art["text"], "published_at": stamp.strftime("%Y-%m-%dT%H:%M:00Z"),
                   "outlet": outlet["name"],
                   "url": f"https://{outlet['domain']}/{date:%Y/%m/%d}/{slug}-{day}-{serial}"}
            out.append(row)
            if is_wire:  # the same day's republications by subscribers
                for k in range(rng.choice([1, 2, 3, 4])):
                    if len(out) >= want:
                        break
                    sub = self.papers[self._pick(rng)]
                    lag = rng.randrange(1, 24 - hour)
                    paras = list(art["paras"])
                    title = art["title"]
                    if rng.random() < 0.4:  # lightly edited
                        title = f"{outlet['name'].split()[0]}: {title}"
                        paras = paras[:-1]
                    paras.append(f"This story was first published by {outlet['name']}.")
                    serial += 1
                    out.append({"title": title, "text": "\n\n".join(paras + self._furniture(rng, sub, date)),
                                "published_at": (stamp + dt.timedelta(hours=lag)).strftime("%Y-%m-%dT%H:%M:00Z"),
                                "outlet": sub["name"],
                                "url": f"https://{sub['domain']}/{date:%Y/%m/%d}/{slug}-{day}-{serial}"})
        out.sort(key=lambda a: (a["published_at"], a["url"]))
        return out

    def _pick(self, rng: random.Random) -> int:
        x = rng.random()
        lo, hi = 0, len(self.cum) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if self.cum[mid] < x:
                lo = mid + 1
            else:
                hi = mid
        return lo

    def _fill(self, rng: random.Random, template: str, fills: dict) -> str:
        values = {"n": rng.randrange(2, 90), "m": rng.randrange(1, 9), "k": rng.randrange(2, 60),
                  "weekday": rng.choice(WEEKDAYS), "place2": _name(rng), "team": rng.choice(TEAMS),
                  "person": f"{rng.choice(FIRST)} {_name(rng)}", "org": f"{_name(rng)} Group",
                  "place": _name(rng), "country": rng.choice(self.countries)}
        values.update(fills)
        text = template.format(**values)
        return text[0].upper() + text[1:]

    def _quote(self, rng: random.Random, subject: str) -> str:
        speaker = f"{rng.choice(FIRST)} {_name(rng)}, {rng.choice(ROLES)}"
        said = rng.choice(["It is too early to say what {s} will mean in the long run",
                           "Nobody should be surprised by {s}; the signs were there",
                           "We need answers about {s}, and we need them now",
                           "People are worried about {s} and they deserve to be told the truth",
                           "What happens next with {s} depends on decisions taken this week"])
        return f"'{said.format(s=subject)},' said {speaker}."

    def _story_article(self, rng, st: dict, day: int, outlet: int, outlet_rec: dict) -> dict | None:
        age = day - st["start"]
        frames = [f for f in range(len(st["frames"]))
                  if (a := self.adopts(st, f, outlet)) is not None and a <= age]
        if not frames:
            return None
        rng.shuffle(frames)
        frames = frames[: rng.choice([1, 1, 2])]
        fills = dict(st["fills"], event=st["event"], actor=st["actor"])
        paras = []
        for f in frames:
            fr = st["frames"][f]
            leads, support = FRAMES[fr["kind"]]
            lead = self._fill(rng, leads[rng.choice(fr["variants"])], fills)
            extra = [self._fill(rng, s, fills) for s in rng.sample(support, k=rng.choice([1, 2]))]
            paras.append(" ".join([lead, *extra]))
        dom = DOMAINS[st["domain"]]
        facts = rng.sample(dom["facts"], k=rng.choice([2, 3, 4]))
        if age > 3 and rng.random() < 0.6:
            paras.append(self._fill(rng, "Earlier this month, {event} drew attention when it was first reported.",
                                    fills))
        for fact in facts:
            paras.append(self._fill(rng, fact, fills))
        for _ in range(rng.choice([2, 3])):
            paras.append(self._quote(rng, st["event"]))
        back = [self._fill(random.Random(f"{self.seed}:bg:{st['id']}:{i}"), b, fills)
                for i, b in enumerate(dom["background"])]
        rng.shuffle(back)
        k = rng.choice([2, 3, 4])
        paras.extend([" ".join(back[:2]), *back[2:k]])
        for _ in range(rng.choice([2, 3, 4])):  # reporting detail: routine sentences about the place
            topic = ROUTINE[rng.choice(sorted(ROUTINE))]
            paras.append(" ".join(self._fill(rng, t, {"place": st["fills"]["place"]}) for t in rng.sample(topic, k=2)))
        kind = st["frames"][frames[0]]["kind"]
        title = self._fill(rng, rng.choice([
            "{event}: " + {"responsibility": "who is to blame", "cost": "the bill to come", "threat": "a wider danger",
                           "human": "the people left behind", "morality": "a question of conscience",
                           "coverup": "what officials knew", "conflict": "a bitter row"}[kind],
            "What {event} means for {country}", "{event}, day " + str(age + 1), "Inside {event}"]), fills)
        return {"title": title, "paras": paras}

    def _routine_article(self, rng, day: int, outlet: dict) -> dict:
        topic = rng.choice(sorted(ROUTINE))
        fills = {"place": outlet["city"] if rng.random() < 0.7 else _name(rng), "person": f"{rng.choice(FIRST)} {_name(rng)}",
                 "org": f"{_name(rng)} {rng.choice(['Group', 'Bank', 'Motors', 'Foods'])}"}
        paras = []
        for _ in range(rng.choice([3, 4, 5, 6])):
            sents = rng.sample(ROUTINE[topic], k=rng.choice([2, 3]))
            paras.append(" ".join(self._fill(rng, s, fills) for s in sents))
        paras.append(self._quote(rng, f"the {topic} news from {fills['place']}"))
        paras.extend(self._fill(rng, rng.choice(ROUTINE[t]), {}) for t in rng.sample(sorted(ROUTINE), k=rng.choice([2, 3, 4])))
        title = {"sport": "{place} {team} win again", "weather": "Weather for {place}: what to expect",
                 "markets": "Markets: shares in {org} move", "council": "{place} council backs new plans",
                 "culture": "{place} festival opens"}[topic]
        return {"title": self._fill(rng, title, fills), "paras": paras}

    def _furniture(self, rng: random.Random, outlet: dict, date: dt.date) -> list[str]:
        out = [f"Reporting by {rng.choice(outlet['reporters'])}; editing by {rng.choice(outlet['reporters'])}."]
        if rng.random() < 0.7:
            out.append(f"Sign up to the {outlet['name'].removeprefix('The ')} morning newsletter for the day's top stories.")
        out.append(f"Copyright {date.year} {outlet['name']}. All rights reserved.")
        return out


def _accumulate(values):
    total = 0.0
    for v in values:
        total += v
        yield total


def write(archive: Archive, out, week: dt.date | None = None, progress=sys.stderr) -> int:
    """Write the archive (or the week starting Monday ``week``) to the text stream ``out``; returns the
    number of articles written."""
    days = range(archive.days)
    if week is not None:
        if week.weekday() != 0:
            raise ValueError(f"--week must be a Monday: {week} is a {WEEKDAYS[week.weekday()]}")
        first = (week - archive.start).days
        if not 0 <= first < archive.days:
            raise ValueError(f"week {week} is outside the archive ({archive.start} to {archive.date(archive.days - 1)})")
        days = range(first, first + 7)
    written, t0, next_report = 0, time.perf_counter(), 10_000
    for day in days:
        for row in archive.day_articles(day):
            out.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
            written += 1
            if progress is not None and written >= next_report:
                next_report += 10_000
                print(f"{written:,} articles, {archive.date(day)}, {time.perf_counter() - t0:.0f} s",
                      file=progress, flush=True)
    return written


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, required=True, help="articles in the whole archive")
    ap.add_argument("--out", required=True, help="the JSON Lines file to write ('-' for stdout)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--years", type=float, default=2.0, help="span of the archive in years (default 2)")
    ap.add_argument("--start", type=dt.date.fromisoformat, default=START,
                    help="its first day, a Monday (default 2018-01-01); the stories and each day's articles are "
                         "the same at the same distance from it")
    ap.add_argument("--outlets", type=int, default=300)
    ap.add_argument("--week", type=dt.date.fromisoformat, default=None,
                    help="write only the week starting this Monday (as the whole archive has it)")
    args = ap.parse_args(argv)
    archive = Archive(args.articles, seed=args.seed, years=args.years, outlets=args.outlets, start=args.start)
    if args.out == "-":
        n = write(archive, sys.stdout, args.week)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(args.out + ".part")
        with tmp.open("w", encoding="utf-8") as fh:
            n = write(archive, fh, args.week)
        tmp.replace(args.out)
    print(f"wrote {n:,} articles to {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
