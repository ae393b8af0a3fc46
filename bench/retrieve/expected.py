#!/usr/bin/python3
"""Expected C-FIND match counts for the query/retrieve benchmark corpus.

  /usr/bin/python3 expected.py MANIFEST.csv SEED PATIENTS NAME_OR_QUERY...

Replays gen_dataset.py's random draws (random.Random(seed): per patient birth year, last name,
first name, birth month, day, sex; per study date, three time fields, description) for the first
PATIENTS patients, checks the replayed names against the manifest, and prints for each query
KEY=VALUE (PatientID exact, PatientName with a trailing '*', StudyDate as FROM-TO) the number of
STUDY-level matches, one line 'KEY=VALUE,COUNT' each.
"""
import csv
import datetime
import random
import sys

LAST = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "MUELLER", "GARCIA", "MARTIN",
        "DUPONT", "ROSSI", "NOVAK", "KOWALSKI", "TANAKA", "SILVA", "NGUYEN", "PETERSEN",
        "OCONNOR", "SCHMIDT", "LEROY", "FISCHER"]
FIRST = ["JOHN", "MARY", "ANNA", "PETER", "LUCAS", "EMMA", "NOAH", "SOFIA", "LIAM", "MIA",
         "JAN", "EVA", "PAUL", "LEA", "MARC", "IDA"]
DESCR = 7  # len(DESCR) in gen_dataset.py


def main():
    manifest, seed, patients = sys.argv[1], sys.argv[2], int(sys.argv[3])
    queries = sys.argv[4:]
    rnd = random.Random(seed)
    studies = []  # (patient id, name, date)
    for p in range(patients):
        rnd.randint(1930, 2015)
        name = f"{rnd.choice(LAST)}^{rnd.choice(FIRST)}"
        rnd.randint(1, 12)
        rnd.randint(1, 28)
        rnd.choice("MF")
        for _ in range(2):  # --studies 2
            d = datetime.date(2015, 1, 1) + datetime.timedelta(days=rnd.randint(0, 3400))
            rnd.randint(7, 19)
            rnd.randint(0, 59)
            rnd.randint(0, 59)
            rnd.choice(range(DESCR))  # the description
            studies.append((f"S{seed}P{p:06d}", name, d.strftime("%Y%m%d")))
    # Check the replay against the manifest's names.
    names = {}
    with open(manifest) as f:
        for row in csv.DictReader(f):
            names[row["patient_id"]] = row["patient_name"]
    bad = [s for s in studies if names.get(s[0]) != s[1]]
    if bad:
        sys.exit(f"expected.py: replay does not match the manifest (e.g. {bad[0]} vs {names.get(bad[0][0])})")
    for q in queries:
        key, value = q.split("=", 1)
        if key == "PatientID":
            n = sum(1 for s in studies if s[0] == value)
        elif key == "PatientName":
            assert value.endswith("*") and "*" not in value[:-1]
            n = sum(1 for s in studies if s[1].upper().startswith(value[:-1].upper()))
        elif key == "StudyDate":
            lo, hi = value.split("-")
            n = sum(1 for s in studies if lo <= s[2] <= hi)
        else:
            sys.exit(f"expected.py: no rule for {key}")
        print(f"{q},{n}")


if __name__ == "__main__":
    main()
