"""The world's countries as news names them: each country's names, short forms and demonyms.

"Which country ..." asks for a country, and a sentence answers it only when it names one the
question does not ("... legislation being voted on in Ghana"), not merely any capitalised word
("Lawmakers in Florida ..."). A demonym names its country ("the Mexican state of Oaxaca"), so
"Chinese" and "China" are one country. Owns only the table and the lookup; which questions ask
for a country is `rag.answer_types`'.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag import lexical

# One country per line: its names, short forms and demonyms, comma-separated (the first names
# it). Sovereign states and the few places news reports as countries (Taiwan, Kosovo,
# Palestine, the UK's nations).
_TABLE = """
Afghanistan, Afghan
Albania, Albanian
Algeria, Algerian
Andorra, Andorran
Angola, Angolan
Antigua and Barbuda, Antiguan
Argentina, Argentine, Argentinian
Armenia, Armenian
Australia, Australian
Austria, Austrian
Azerbaijan, Azerbaijani, Azeri
Bahamas, Bahamian
Bahrain, Bahraini
Bangladesh, Bangladeshi
Barbados, Barbadian, Bajan
Belarus, Belarusian
Belgium, Belgian
Belize, Belizean
Benin, Beninese
Bhutan, Bhutanese
Bolivia, Bolivian
Bosnia and Herzegovina, Bosnia, Bosnian
Botswana, Botswanan, Motswana
Brazil, Brazilian
Brunei, Bruneian
Bulgaria, Bulgarian
Burkina Faso, Burkinabe
Burundi, Burundian
Cambodia, Cambodian
Cameroon, Cameroonian
Canada, Canadian
Cape Verde, Cabo Verde, Cape Verdean
Central African Republic
Chad, Chadian
Chile, Chilean
China, Chinese, PRC
Colombia, Colombian
Comoros, Comoran
Democratic Republic of the Congo, DRC, DR Congo
Republic of the Congo, Congo, Congolese
Costa Rica, Costa Rican
Ivory Coast, Côte d'Ivoire, Cote d'Ivoire, Ivorian
Croatia, Croatian
Cuba, Cuban
Cyprus, Cypriot
Czech Republic, Czechia, Czech
Denmark, Danish, Dane
Djibouti, Djiboutian
Dominica
Dominican Republic, Dominican
Ecuador, Ecuadorian
Egypt, Egyptian
El Salvador, Salvadoran
Equatorial Guinea, Equatoguinean
Eritrea, Eritrean
Estonia, Estonian
Eswatini, Swaziland, Swazi
Ethiopia, Ethiopian
Fiji, Fijian
Finland, Finnish, Finn
France, French
Gabon, Gabonese
Gambia, Gambian
Georgia, Georgian
Germany, German
Ghana, Ghanaian
Greece, Greek
Grenada, Grenadian
Guatemala, Guatemalan
Guinea, Guinean
Guinea-Bissau
Guyana, Guyanese
Haiti, Haitian
Honduras, Honduran
Hungary, Hungarian
Iceland, Icelandic, Icelander
India, Indian
Indonesia, Indonesian
Iran, Iranian, Persia, Persian
Iraq, Iraqi
Ireland, Irish
Israel, Israeli
Italy, Italian
Jamaica, Jamaican
Japan, Japanese
Jordan, Jordanian
Kazakhstan, Kazakh
Kenya, Kenyan
Kiribati
Kosovo, Kosovar
Kuwait, Kuwaiti
Kyrgyzstan, Kyrgyz
Laos, Lao, Laotian
Latvia, Latvian
Lebanon, Lebanese
Lesotho, Basotho
Liberia, Liberian
Libya, Libyan
Liechtenstein
Lithuania, Lithuanian
Luxembourg, Luxembourgish
Madagascar, Malagasy
Malawi, Malawian
Malaysia, Malaysian
Maldives, Maldivian
Mali, Malian
Malta, Maltese
Marshall Islands
Mauritania, Mauritanian
Mauritius, Mauritian
Mexico, Mexican
Micronesia
Moldova, Moldovan
Monaco, Monegasque
Mongolia, Mongolian
Montenegro, Montenegrin
Morocco, Moroccan
Mozambique, Mozambican
Myanmar, Burma, Burmese
Namibia, Namibian
Nauru
Nepal, Nepalese, Nepali
Netherlands, Holland, Dutch
New Zealand, New Zealander, Kiwi
Nicaragua, Nicaraguan
Niger, Nigerien
Nigeria, Nigerian
North Korea, North Korean, DPRK
North Macedonia, Macedonia, Macedonian
Norway, Norwegian
Oman, Omani
Pakistan, Pakistani
Palau
Palestine, Palestinian
Panama, Panamanian
Papua New Guinea
Paraguay, Paraguayan
Peru, Peruvian
Philippines, Filipino, Philippine
Poland, Polish, Pole
Portugal, Portuguese
Qatar, Qatari
Romania, Romanian
Russia, Russian Federation, Russian
Rwanda, Rwandan
Saint Kitts and Nevis
Saint Lucia
Saint Vincent and the Grenadines
Samoa, Samoan
San Marino
Sao Tome and Principe
Saudi Arabia, Saudi
Senegal, Senegalese
Serbia, Serbian, Serb
Seychelles
Sierra Leone, Sierra Leonean
Singapore, Singaporean
Slovakia, Slovak
Slovenia, Slovenian
Solomon Islands
Somalia, Somali
South Africa, South African
South Korea, South Korean, Korea, Korean
South Sudan, South Sudanese
Spain, Spanish, Spaniard
Sri Lanka, Sri Lankan
Sudan, Sudanese
Suriname, Surinamese
Sweden, Swedish, Swede
Switzerland, Swiss
Syria, Syrian
Taiwan, Taiwanese
Tajikistan, Tajik
Tanzania, Tanzanian
Thailand, Thai
Timor-Leste, East Timor
Togo, Togolese
Tonga, Tongan
Trinidad and Tobago, Trinidadian
Tunisia, Tunisian
Turkey, Türkiye, Turkish
Turkmenistan, Turkmen
Tuvalu
Uganda, Ugandan
Ukraine, Ukrainian
United Arab Emirates, UAE, Emirati
United Kingdom, UK, U.K., Britain, Great Britain, British, Briton
England, English
Scotland, Scottish, Scot
Wales, Welsh
Northern Ireland
United States, United States of America, US, U.S., USA, U.S.A., America, American
Uruguay, Uruguayan
Uzbekistan, Uzbek
Vanuatu
Vatican, Vatican City, Holy See
Venezuela, Venezuelan
Vietnam, Viet Nam, Vietnamese
Yemen, Yemeni
Zambia, Zambian
Zimbabwe, Zimbabwean
"""

_WORD = re.compile(r"[^\W_][\w'’.-]*")
_POSSESSIVE = re.compile(r"['’]s$")
LONGEST = 5  # words in the longest name ("United States of America")


def _key(words: list[str]) -> str:
    """Words as the table is looked up: casefolded, without a possessive or a full stop at the
    end ("China's", "the U.S." at a sentence's end, "the U.S.'s")."""
    return _POSSESSIVE.sub("", " ".join(words).rstrip(".")).rstrip(".").casefold()


def _country_of() -> dict[str, str]:
    table = {}
    for line in _TABLE.strip().splitlines():
        names = [n.strip() for n in line.split(",")]
        for name in names:
            table[_key(name.split())] = names[0]
    return table


_COUNTRY_OF = _country_of()
# The words a name can open with, as written (casefolded) and as a one-word name is looked up:
# most capitalised words open none, and need no look at the words after them.
_FIRST_WORDS = frozenset(w for key in _COUNTRY_OF for w in (key.split()[0], _key(key.split()[:1])))


@lru_cache(maxsize=4096)  # every scored sentence is checked against the same question
def countries_in(text: str) -> frozenset[str]:
    """The countries `text` names, by any of their names or demonyms, each as its first name in
    the table; the longest name wins ("South Korea", not "Korea"). Only capitalised words count
    ("turkey" is a bird)."""
    words = _WORD.findall(text)
    found, i = set(), 0
    while i < len(words):
        size = _name_at(words, i)
        if size:
            found.add(_COUNTRY_OF[_key(words[i : i + size])])
        i += size or 1
    return frozenset(found)


def _name_at(words: list[str], i: int) -> int:
    """How many words from `i` on name a country (0: none)."""
    if not words[i][0].isupper():
        return 0
    first = words[i].casefold()
    if first not in _FIRST_WORDS and _key(words[i : i + 1]) not in _FIRST_WORDS:
        return 0
    for size in range(min(LONGEST, len(words) - i), 0, -1):
        if _key(words[i : i + size]) in _COUNTRY_OF:
            return size
    return 0


def countries_named_by_both(text: str, question: str) -> frozenset[str]:
    """The lexical terms of the countries `text` and `question` both name, by whichever of
    their names: "Indian Defense Minister" says the "india" of "India's defense minister?",
    which the analyser keeps apart ("indian" is no stem of "india")."""
    asked = countries_in(question)
    if not asked:  # most questions name no country: the sentence need not be read
        return frozenset()
    shared = countries_in(text) & asked
    return frozenset(term for country in shared for term in _terms_of(country))


@lru_cache(maxsize=512)
def _terms_of(country: str) -> tuple[str, ...]:
    return tuple(lexical.terms(country))
