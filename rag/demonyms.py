"""Nationality words of English: the adjectival form (and common nouns for people) of every
sovereign state and of a few widely recognised nations and territories. General, not
tied to any corpus; used to recognise an answer to "What nationality is ...?"."""

from __future__ import annotations

_ONE_WORD = """
    Afghan Albanian Algerian Andorran Angolan Antiguan Barbudan Argentine Argentinian Armenian
    Australian Austrian Azerbaijani Bahamian Bahraini Bangladeshi Barbadian Belarusian Belgian
    Belizean Beninese Bhutanese Bolivian Bosnian Herzegovinian Motswana Batswana Botswanan Brazilian
    Bruneian Bulgarian Burkinabe Burkinabé Burundian Cambodian Cameroonian Canadian
    Chadian Chilean Chinese Colombian Comoran Comorian Congolese Ivorian Croatian Cuban Cypriot Czech
    Danish Djiboutian Dominican Dutch Ecuadorian Egyptian Salvadoran Salvadorean Equatoguinean
    Eritrean Estonian Swazi Ethiopian Fijian Finnish French Gabonese Gambian Georgian German
    Ghanaian Greek Grenadian Guatemalan Guinean Guyanese Haitian Honduran Hungarian Icelandic Indian
    Indonesian Iranian Iraqi Irish Israeli Italian Jamaican Japanese Jordanian Kazakh Kazakhstani
    Kenyan I-Kiribati Korean Kosovar Kosovan Kuwaiti Kyrgyz Kyrgyzstani Lao Laotian Latvian
    Lebanese Basotho Mosotho Liberian Libyan Liechtensteiner Lithuanian Luxembourgish Luxembourger
    Malagasy Malawian Malaysian Maldivian Malian Maltese Marshallese Mauritanian Mauritian Mexican
    Micronesian Moldovan Monégasque Monegasque Mongolian Montenegrin Moroccan Mozambican Burmese
    Namibian Nauruan Nepalese Nepali Nicaraguan Nigerien Nigerian Macedonian Norwegian Omani
    Pakistani Palauan Palestinian Panamanian Paraguayan Peruvian Filipino Filipina Philippine Polish
    Portuguese Qatari Romanian Russian Rwandan Kittitian Nevisian Vincentian Samoan Sammarinese
    Santomean Saudi Senegalese Serbian Seychellois Singaporean Slovak Slovakian Slovenian Slovene
    Somali Somalian Spanish Sudanese Surinamese Swedish Swiss Syrian Taiwanese Tajik Tajikistani
    Tanzanian Thai Timorese Togolese Tongan Trinidadian Tobagonian Tunisian Turkish Turkmen
    Tuvaluan Ugandan Ukrainian Emirati British English Scottish Welsh American Uruguayan Uzbek
    Uzbekistani Ni-Vanuatu Vanuatuan Venezuelan Vietnamese Yemeni Zambian Zimbabwean
    Briton Brit Dane Swede Finn Pole Scot Turk Spaniard Icelander Kiwi
    Englishman Englishwoman Frenchman Frenchwoman Dutchman Dutchwoman Irishman Irishwoman
    Scotsman Scotswoman Welshman Welshwoman
    """.split()
_SEVERAL_WORDS = (
    "Cabo Verdean",
    "Cape Verdean",
    "Central African",
    "Costa Rican",
    "Equatorial Guinean",
    "Bissau-Guinean",
    "North Korean",
    "South Korean",
    "New Zealander",
    "North Macedonian",
    "Northern Irish",
    "Papua New Guinean",
    "Saint Lucian",
    "São Toméan",
    "Saudi Arabian",
    "Sierra Leonean",
    "Solomon Islander",
    "South African",
    "South Sudanese",
    "Sri Lankan",
    "East Timorese",
    "Hong Konger",
    "Puerto Rican",
)
DEMONYMS: tuple[str, ...] = (*_ONE_WORD, *_SEVERAL_WORDS)
