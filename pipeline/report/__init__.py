"""Outputs for rapporteurs: the self-contained HTML report and the Excel workbook (French text)."""
