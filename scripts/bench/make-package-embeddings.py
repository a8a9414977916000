#!/usr/bin/python3
"""A real embedding set built on this machine: the package descriptions
`apt-cache dumpavail` prints, as TF-IDF vectors reduced to --dims
dimensions by truncated SVD (scikit-learn), float32 rows, one per package
(the first --rows distinct packages by name). Writes OUT (.npy) and
OUT's name with .txt: the package names, one per line (--ids).

Usage: /usr/bin/python3 scripts/bench/make-package-embeddings.py OUT.npy [--rows 30000] [--dims 256]
"""
import argparse
import subprocess

import numpy as np
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer


def packages():
    text = subprocess.run(["apt-cache", "dumpavail"], capture_output=True, text=True, check=True).stdout
    found = {}
    for stanza in text.split("\n\n"):
        name, description, in_description = None, [], False
        for line in stanza.splitlines():
            if line.startswith("Package:"):
                name = line.split(":", 1)[1].strip()
            elif line.startswith("Description:"):
                description.append(line.split(":", 1)[1].strip())
                in_description = True
            elif in_description and line.startswith(" "):
                description.append(line.strip(" ."))
            else:
                in_description = False
        if name and description and name not in found:
            found[name] = " ".join(description)
    return sorted(found.items())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("out")
    parser.add_argument("--rows", type=int, default=30000)
    parser.add_argument("--dims", type=int, default=256)
    args = parser.parse_args()
    items = packages()[: args.rows]
    tfidf = TfidfVectorizer(min_df=2, sublinear_tf=True).fit_transform(text for _, text in items)
    rows = TruncatedSVD(n_components=args.dims, random_state=0).fit_transform(tfidf).astype(np.float32)
    np.save(args.out, rows)
    with open(args.out.removesuffix(".npy") + ".txt", "w") as names:
        names.writelines(name + "\n" for name, _ in items)
    print(f"{args.out}: {rows.shape[0]} packages x {rows.shape[1]} dimensions")


if __name__ == "__main__":
    main()
