# Run from this folder with R and COINr 1.1.14 installed (Debian: r-base-core r-cran-openxlsx
# r-cran-rlang r-cran-ggplot2 r-cran-readxl, then R CMD INSTALL of the COINr sources):
#     Rscript asem_coinr.R
# Its output, asem_coinr_aggregated.csv, is what tests/composite/test_framework.py compares with.
# COINr 1.1.14 on its own ASEM example: Denominate, Screen (90 % of the indicators present,
# by unit), Treat (COINr's defaults), Normalise (min-max on 0-100), Aggregate (arithmetic
# mean over the children present, at least half of them). Writes every level's scores.
suppressMessages(library(COINr))
coin <- new_coin(ASEM_iData, ASEM_iMeta, level_names = c("Indicator", "Pillar", "Sub-index", "Index"), quietly = TRUE)
coin <- Denominate(coin, dset = "Raw")
coin <- Screen(coin, dset = "Denominated", dat_thresh = 0.9, unit_screen = "byNA")
coin <- Treat(coin, dset = "Screened")
coin <- Normalise(coin, dset = "Treated", global_specs = list(f_n = "n_minmax", f_n_para = list(c(0, 100))))
coin <- Aggregate(coin, dset = "Normalised", f_ag = "a_amean", dat_thresh = 0.5)
out <- get_dset(coin, "Aggregated")
write.csv(out, "asem_coinr_aggregated.csv", row.names = FALSE)
print(coin$Analysis$Screened$RemovedUnits)
print(dim(out))
