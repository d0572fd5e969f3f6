"""Where in the Ruhr a text is and which Ruhr actors it names: the 53 RVR municipalities and their actors.

The lists live in `models/data/municipalities.toml` and `models/data/actors.toml` (sources: ruhr.md §3.1-§3.4).
Matching is one compiled regular expression per list over the raw text, longest surface form first, so
"Essen-Steele" wins over "Essen" and "Rhein-Ruhr" is consumed (and ignored) before anything else can match in it.

Names that are also ordinary words or surnames follow the rules of ruhr.md §3.1:
* "Essen" (food), "Kamen" (came), "Schwerte" (swords), "Alpen" (the Alps) count only after a place preposition or
  place noun ("in Essen", "Stadt Essen"), hyphenated with a district ("Essen-Steele"), or in a qualified form;
  "Alpen" additionally needs a Niederrhein / Kreis Wesel context in the text.
* "Wetter" (weather) counts only as "Wetter (Ruhr)" / "Wetter an der Ruhr" / "Stadt Wetter".
* "Hamm", "Hagen", "Herne", "Marl", "Werne", "Selm" do not count right after a capitalised word that is not a place
  noun ("Nina Hagen") or right before a capitalised word ("Hagen Reinhold"), unless a place preposition comes
  first ("in Hagen"); "Hamm (Sieg)", "Hamburg-Hamm", "Köln-Mülheim", "Hagen a.T.W." never count.
* "Rhein-Ruhr" and its variants are broader than the RVR area and never count as Ruhr.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

_SENTENCE_START = re.compile(r"(?:^|[.!?:;\n])[\s\"'„“»«(]*$")
_NAME_FOLLOWS = re.compile(r" [A-ZÄÖÜ][a-zäöüß]+\b")
_PREVIOUS_WORD = re.compile(r"([^\W\d_][\w.-]*)[\s(\"'„“»«]*$")


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str
    kreis: str
    nuts3: str
    ambiguity: str = ""
    requires_context: tuple[str, ...] = ()
    not_followed_by: tuple[re.Pattern[str], ...] = ()
    not_preceded_by: tuple[re.Pattern[str], ...] = ()


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """One place a text names. `place_type` is municipality, kreis or region; municipality/kreis as applicable."""

    place_type: str
    name: str
    municipality: str | None
    kreis: str | None
    mention: str
    start: int


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    actor_type: str
    seat: str
    ror: str | None
    aliases: tuple[str, ...]
    verified: bool = True


@dataclass(frozen=True, slots=True)
class ActorMention:
    actor: Actor
    mention: str
    start: int


@dataclass(frozen=True, slots=True)
class _Surface:
    kind: str  # municipality | kreis | region | not_ruhr
    target: str
    bare: bool  # the plain municipality name, to which ambiguity rules apply


@dataclass
class Gazetteer:
    """Municipalities, Kreise, region names and actors, with compiled matchers. Build with `Gazetteer.load()`."""

    municipalities: Mapping[str, Municipality]
    kreise: Mapping[str, str]  # kreis name -> NUTS-3
    actors: Sequence[Actor]
    place_prepositions: frozenset[str]
    place_nouns: frozenset[str]
    _surfaces: dict[str, _Surface] = field(default_factory=dict)
    _place_pattern: re.Pattern[str] | None = None
    _actor_by_alias: dict[str, Actor] = field(default_factory=dict)
    _actor_pattern: re.Pattern[str] | None = None

    @classmethod
    def load(cls) -> Gazetteer:
        """Read the packaged data files (no network, no database)."""
        data_dir = resources.files("models.data")
        places = tomllib.loads(data_dir.joinpath("municipalities.toml").read_text(encoding="utf-8"))
        actors = tomllib.loads(data_dir.joinpath("actors.toml").read_text(encoding="utf-8"))
        return cls.from_data(places, actors)

    @classmethod
    def from_data(cls, places: Mapping[str, Any], actors: Mapping[str, Any]) -> Gazetteer:
        municipalities: dict[str, Municipality] = {}
        surfaces: dict[str, _Surface] = {}
        for row in places["municipality"]:
            m = Municipality(
                name=row["name"],
                kreis=row["kreis"],
                nuts3=row["nuts3"],
                ambiguity=row.get("ambiguity", ""),
                requires_context=tuple(row.get("requires_context", ())),
                not_followed_by=tuple(re.compile(p) for p in row.get("not_followed_by", ())),
                not_preceded_by=tuple(re.compile(p) for p in row.get("not_preceded_by", ())),
            )
            municipalities[m.name] = m
            bare_names = [m.name] if row.get("bare_name", True) else []
            single_word_names = [n for n in [m.name, *row.get("aliases", ())] if " " not in n and "(" not in n]
            for surface in bare_names:
                surfaces[surface] = _Surface("municipality", m.name, bare=bool(m.ambiguity))
            for surface in [*row.get("aliases", ()), *row.get("demonyms", ()), *row.get("districts", ())]:
                surfaces.setdefault(surface, _Surface("municipality", m.name, bare=False))
            for district in row.get("hyphen_districts", ()):
                for base in single_word_names:
                    surfaces[f"{base}-{district}"] = _Surface("municipality", m.name, bare=False)
        kreise = {}
        for row in places.get("kreis", ()):
            kreise[row["name"]] = row["nuts3"]
            for surface in [row["name"], *row.get("aliases", ())]:
                surfaces[surface] = _Surface("kreis", row["name"], bare=False)
        region = places.get("region", {})
        for surface in region.get("names", ()):
            surfaces[surface] = _Surface("region", surface, bare=False)
        for surface in region.get("phrases", ()):  # "im Revier", "im Pott": the Ruhrgebiet
            surfaces[surface] = _Surface("region", "Ruhrgebiet", bare=False)
        for surface in region.get("not_ruhr", ()):
            surfaces[surface] = _Surface("not_ruhr", surface, bare=False)
        actor_list = [
            Actor(
                name=row["name"],
                actor_type=row["type"],
                seat=row["seat"],
                ror=row.get("ror") or None,
                aliases=tuple(row.get("aliases", ())) or (row["name"],),
                verified=bool(row.get("verified", True)),
            )
            for row in actors["actor"]
        ]
        gazetteer = cls(
            municipalities=municipalities,
            kreise=kreise,
            actors=actor_list,
            place_prepositions=frozenset(w.lower() for w in places.get("place_prepositions", ())),
            place_nouns=frozenset(places.get("place_nouns", ())),
        )
        gazetteer._surfaces = surfaces
        gazetteer._place_pattern = _alternation(surfaces)
        gazetteer._actor_by_alias = {alias: actor for actor in actor_list for alias in actor.aliases}
        gazetteer._actor_pattern = _alternation(gazetteer._actor_by_alias)
        return gazetteer

    @property
    def names(self) -> frozenset[str]:
        """Every surface form of a place or actor, single words only ("RUB", "Duisburg", "Essener")."""
        return frozenset(s for s in [*self._surfaces, *self._actor_by_alias] if " " not in s)

    # -- places -----------------------------------------------------------------------------------------------

    def find_places(self, text: str) -> list[PlaceMention]:
        """Every place mention in `text`, in order; ambiguous names only where the rules above accept them."""
        assert self._place_pattern is not None
        found: list[PlaceMention] = []
        pending_context: list[tuple[Municipality, re.Match[str]]] = []
        for match in self._place_pattern.finditer(text):
            surface = self._surfaces[match.group(0)]
            if surface.kind == "not_ruhr":
                continue
            if surface.kind == "region":
                found.append(PlaceMention("region", surface.target, None, None, match.group(0), match.start()))
                continue
            if surface.kind == "kreis":
                found.append(PlaceMention("kreis", surface.target, None, surface.target, match.group(0), match.start()))
                continue
            m = self.municipalities[surface.target]
            if not self._accepted(m, surface, text, match):
                continue
            if surface.bare and m.requires_context:
                pending_context.append((m, match))
                continue
            found.append(self._mention(m, match))
        for m, match in pending_context:
            if any(word in text for word in m.requires_context):
                found.append(self._mention(m, match))
        found.sort(key=lambda p: p.start)
        return found

    def _mention(self, m: Municipality, match: re.Match[str]) -> PlaceMention:
        kreis = None if m.kreis == "kreisfrei" else m.kreis
        return PlaceMention("municipality", m.name, m.name, kreis, match.group(0), match.start())

    def _accepted(self, m: Municipality, surface: _Surface, text: str, match: re.Match[str]) -> bool:
        before = text[max(0, match.start() - 60) : match.start()]
        after = text[match.end() : match.end() + 40]
        if any(p.match(after) for p in m.not_followed_by) or any(p.search(before) for p in m.not_preceded_by):
            return False
        if not surface.bare:
            return True
        previous = _PREVIOUS_WORD.search(before)
        previous_word = previous.group(1) if previous else ""
        at_sentence_start = bool(_SENTENCE_START.search(before))
        place_context = previous_word.lower() in self.place_prepositions or previous_word in self.place_nouns
        if m.ambiguity == "word":
            district_follows = bool(re.match(r"-[A-ZÄÖÜ]", after))
            return place_context or district_follows
        if m.ambiguity == "surname":
            if place_context:
                return True
            # "Nina Hagen": a capitalised word right before that is no place noun marks a surname;
            # "Hagen Reinhold": a capitalised word right after marks a first name
            if _NAME_FOLLOWS.match(after):
                return False
            return at_sentence_start or not previous_word[:1].isupper()
        return True

    # -- actors -----------------------------------------------------------------------------------------------

    def find_actors(self, text: str) -> list[ActorMention]:
        """Every actor mention in `text`, in order (aliases are case-sensitive, whole words)."""
        assert self._actor_pattern is not None
        return [
            ActorMention(self._actor_by_alias[match.group(0)], match.group(0), match.start())
            for match in self._actor_pattern.finditer(text)
        ]


def _alternation(surfaces: Iterable[str]) -> re.Pattern[str]:
    """One regex matching any surface form as a whole word, longest first."""
    ordered = sorted(set(surfaces), key=lambda s: (-len(s), s))
    body = "|".join(re.escape(s) for s in ordered)
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w])")


def distinct_municipalities(mentions: Iterable[PlaceMention]) -> list[str]:
    """Municipality names in order of first mention, each once."""
    seen: dict[str, None] = {}
    for mention in mentions:
        if mention.municipality:
            seen.setdefault(mention.municipality, None)
    return list(seen)
