#!/usr/bin/env bash
# Remake the pictures of docs/reports.md from the demo journal, with the commands a user types.
# Needs poppler-utils (pdftoppm) and LibreOffice (for the XLSX screenshot).
set -euo pipefail
cd "$(dirname "$0")"
work=$(mktemp -d)
ep="../../.venv/bin/ep-skills --lang fr --db $work/demo.db"
$ep demo > /dev/null
$ep report "Jade Clement" --format pdf -o "$work/livret.pdf"
$ep report "Jade Clement" --situation EP1/S1 --format pdf -o "$work/grille.pdf"
$ep report --cohort demo-cap-cip --format xlsx -o "$work/atelier.xlsx"
pdftoppm -r 70 -png -f 1 -l 2 "$work/livret.pdf" "$work/livret"
pdftoppm -r 70 -png -f 1 -l 1 "$work/grille.pdf" "$work/grille"
# pdftoppm pads page numbers to the page count's width (livret-1 or livret-01).
first() { ls "$work"/"$1"-*"$2".png | head -n 1; }
cp "$(first livret 1)" livret-page1.png
cp "$(first livret 2)" livret-page2.png
cp "$(first grille 1)" grille-ep1-s1.png
# The spreadsheet as a spreadsheet program shows it: LibreOffice renders it, poppler crops it.
(cd "$work" && soffice --headless --convert-to pdf atelier.xlsx > /dev/null 2>&1)
pdftoppm -r 110 -png -f 1 -l 1 -x 40 -y 60 -W 1220 -H 260 "$work/atelier.pdf" "$work/atelier"
cp "$(first atelier 1)" atelier-xlsx.png
rm -r "$work"
