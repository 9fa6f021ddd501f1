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
cp "$work/livret-1.png" livret-page1.png
cp "$work/livret-2.png" livret-page2.png
cp "$work/grille-1.png" grille-ep1-s1.png
# The spreadsheet as a spreadsheet program shows it: LibreOffice renders it, poppler crops it.
(cd "$work" && soffice --headless --convert-to pdf atelier.xlsx > /dev/null)
pdftoppm -r 70 -png -f 1 -l 1 "$work/atelier.pdf" "$work/atelier"
cp "$work/atelier-1.png" atelier-xlsx.png
rm -r "$work"
