# Re-render: gnuplot coord_check.gp (from this folder)
set terminal pngcairo size 990,1240 enhanced font 'DejaVu Sans,11'
set output 'coord_check.png'
set multiplot layout 4,3 title 'mean |activation| against model size'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'standard, step 4'
plot 'coord_check_0.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_0.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_0.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_0.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_0.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_0.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_0.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 4'
plot 'coord_check_1.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_1.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_1.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_1.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_1.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_1.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_1.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 4'
plot 'coord_check_2.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_2.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_2.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_2.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_2.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_2.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_2.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
set key inside top left box opaque font ',8'
set yrange [0.007600002922:206.4536972]
set title 'standard, step 0'
plot 'coord_check_3.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_3.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_3.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_3.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_3.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_3.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_3.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 0'
plot 'coord_check_4.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_4.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_4.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_4.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_4.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_4.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_4.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 0'
plot 'coord_check_5.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_5.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_5.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_5.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_5.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_5.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_5.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'standard, step 4'
plot 'coord_check_6.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_6.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_6.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_6.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_6.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_6.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_6.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_6.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_6.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_6.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_6.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 4'
plot 'coord_check_7.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_7.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_7.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_7.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_7.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_7.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_7.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_7.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_7.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_7.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_7.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 4'
plot 'coord_check_8.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_8.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_8.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_8.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_8.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_8.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_8.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_8.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_8.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_8.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_8.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'standard, step 0'
plot 'coord_check_9.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_9.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_9.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_9.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_9.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_9.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_9.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_9.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_9.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_9.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_9.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 0'
plot 'coord_check_10.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_10.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_10.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_10.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_10.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_10.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_10.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_10.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_10.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_10.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_10.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 0'
plot 'coord_check_11.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_11.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_11.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_11.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_11.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_11.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_11.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_11.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_11.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_11.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_11.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
unset multiplot

reset
set terminal svg size 990,1240 enhanced font 'DejaVu Sans,11' background '#ffffff'
set output 'coord_check.svg'
set multiplot layout 4,3 title 'mean |activation| against model size'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'standard, step 4'
plot 'coord_check_0.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_0.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_0.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_0.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_0.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_0.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_0.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 4'
plot 'coord_check_1.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_1.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_1.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_1.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_1.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_1.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_1.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 4'
plot 'coord_check_2.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_2.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_2.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_2.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_2.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_2.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_2.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
set key inside top left box opaque font ',8'
set yrange [0.007600002922:206.4536972]
set title 'standard, step 0'
plot 'coord_check_3.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_3.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_3.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_3.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_3.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_3.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_3.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 0'
plot 'coord_check_4.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_4.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_4.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_4.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_4.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_4.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_4.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'width (n\_embd)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 0'
plot 'coord_check_5.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_5.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_5.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'block.1', 'coord_check_5.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_5.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.3', 'coord_check_5.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'logits', 'coord_check_5.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'last\_block'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'standard, step 4'
plot 'coord_check_6.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_6.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_6.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_6.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_6.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_6.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_6.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_6.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_6.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_6.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_6.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 4'
plot 'coord_check_7.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_7.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_7.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_7.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_7.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_7.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_7.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_7.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_7.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_7.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_7.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 4'
plot 'coord_check_8.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_8.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_8.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_8.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_8.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_8.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_8.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_8.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_8.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_8.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_8.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'standard, step 0'
plot 'coord_check_9.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_9.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_9.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_9.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_9.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_9.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_9.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_9.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_9.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_9.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_9.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'mup, step 0'
plot 'coord_check_10.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_10.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_10.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_10.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_10.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_10.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_10.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_10.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_10.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_10.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_10.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
reset
set grid xtics ytics mxtics mytics lc rgb '#dddddd'
set key outside right top box opaque
set xlabel 'depth (n\_layer)'
set ylabel 'mean |x|'
set logscale y
set logscale x 2
set format x '%g'
unset key
set yrange [0.007600002922:206.4536972]
set title 'completep, step 0'
plot 'coord_check_11.dat' using 1:2 with linespoints lw 2 pt 7 lc rgb '#440154' title 'embeddings', 'coord_check_11.dat' using 1:3 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.0', 'coord_check_11.dat' using 1:4 with linespoints lw 2 pt 7 lc rgb '#46327e' title 'block.1', 'coord_check_11.dat' using 1:5 with linespoints lw 2 pt 7 lc rgb '#365c8d' title 'logits', 'coord_check_11.dat' using 1:6 with linespoints lw 2 pt 7 lc rgb '#277f8e' title 'last\_block', 'coord_check_11.dat' using 1:7 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.2', 'coord_check_11.dat' using 1:8 with linespoints lw 2 pt 7 lc rgb '#1fa187' title 'block.3', 'coord_check_11.dat' using 1:9 with linespoints lw 2 pt 7 lc rgb '#4ac16d' title 'block.4', 'coord_check_11.dat' using 1:10 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.5', 'coord_check_11.dat' using 1:11 with linespoints lw 2 pt 7 lc rgb '#a0da39' title 'block.6', 'coord_check_11.dat' using 1:12 with linespoints lw 2 pt 7 lc rgb '#fde725' title 'block.7'
unset multiplot

unset output
