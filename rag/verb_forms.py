"""Irregular verb forms read as the verb: "said" is "say", "met" is "meet", "won" is "win".

A question asks "What did Teodoro say?" or "Where did they meet?" and the news says "said"
and "met": the stemmer joins "says" and "saying" to "say" but leaves irregular past forms
apart, so the question's verb matched no passage and counted as a word the library does not
know. Owns one mapping of a lower-cased past form or participle to its verb, applied by
`rag.lexical` before stemming. Forms that are as often another word are left as written:
"left", "found", "saw", "rose", "felt", "fed" (the Fed), "shot" (a vaccine shot), "wound",
"ground", "bit", "lay", "spoke", "lit", "bore".
"""

from __future__ import annotations

# verb: its irregular past forms and participles (regular ones are the stemmer's)
_FORMS = """
arise: arose arisen
awake: awoke awoken
bear: borne
beat: beaten
become: became
begin: began begun
bend: bent
bid: bade
bite: bitten
bleed: bled
blow: blew blown
break: broke broken
breed: bred
bring: brought
build: built
buy: bought
catch: caught
choose: chose chosen
cling: clung
come: came
creep: crept
deal: dealt
dig: dug
draw: drew drawn
drink: drank drunk
drive: drove driven
eat: ate eaten
fall: fell fallen
fight: fought
flee: fled
fling: flung
fly: flew flown
forbid: forbade forbidden
forecast: forecasted
forget: forgot forgotten
forgive: forgave forgiven
freeze: froze frozen
get: got gotten
give: gave given
go: went gone
grow: grew grown
hang: hung
hide: hid hidden
hold: held
keep: kept
know: knew known
lead: led
lend: lent
lose: lost
make: made
mean: meant
meet: met
overcome: overcame
oversee: oversaw overseen
overtake: overtook overtaken
pay: paid
ride: rode ridden
ring: rang rung
rise: risen
run: ran
say: said
see: seen
seek: sought
sell: sold
send: sent
shake: shook shaken
shine: shone
shrink: shrank shrunk
sing: sang sung
sink: sank sunk
sit: sat
sleep: slept
slide: slid
speak: spoken
speed: sped
spend: spent
spin: spun
spring: sprang sprung
stand: stood
steal: stole stolen
stick: stuck
sting: stung
stride: strode
strike: struck stricken
strive: strove striven
swear: swore sworn
sweep: swept
swim: swam swum
swing: swung
take: took taken
teach: taught
tear: tore torn
tell: told
think: thought
throw: threw thrown
undergo: underwent undergone
understand: understood
undertake: undertook undertaken
uphold: upheld
wake: woke woken
wear: wore worn
weave: wove woven
weep: wept
win: won
withdraw: withdrew withdrawn
withhold: withheld
write: wrote written
"""


def _verb_of() -> dict[str, str]:
    table = {}
    for line in _FORMS.strip().splitlines():
        verb, forms = line.split(":")
        for form in forms.split():
            table[form] = verb.strip()
    return table


_VERB_OF = _verb_of()


def verb(word: str) -> str:
    """The verb a lower-cased irregular form belongs to ("said" -> "say"), else the word."""
    return _VERB_OF.get(word, word)
