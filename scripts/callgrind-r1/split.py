# usage: split.py LABELOFF LABELON : per-request figures from the 4 callgrind runs
import re,sys,subprocess
def inc(label):
    out=subprocess.run(['callgrind_annotate','--auto=no','--inclusive=yes','--threshold=100',f'/tmp/cg11/cg-{label}.out'],capture_output=True,text=True).stdout
    d={}
    for line in out.split('\n'):
        m=re.match(r'\s*([\d,]+) \([^)]*\)\s+(.*)$',line)
        if m:
            k=m.group(2)
            if 'PROGRAM TOTALS' in k: d['TOTAL']=int(m.group(1).replace(',',''))
            if not k.endswith(']'): continue
            k=re.sub(r' \[/[^\]]*\]$','',k)
            d[k]=d.get(k,0)+int(m.group(1).replace(',',''))
    return d
def find(d,suffix):
    return sum(v for k,v in d.items() if k.endswith(suffix))
keys={'total':'TOTAL','threads':'Thread>::new::thread_start','tokio workers':'multi_thread::worker::run','sync task':'RateLimiter::run::{{closure}}','set_headers':'rate_limit::set_headers','admit':'rate_limits::RateLimiter::admit'}
off,on=sys.argv[1],sys.argv[2]
r={}
for lab in (off,on):
    a,b=inc(lab+'-200'),inc(lab+'-1200')
    r[lab]={n:(find(b,s)-find(a,s))/1000 for n,s in keys.items()}
for n in keys: print('%-14s off %9.0f  on %9.0f  diff %8.0f'%(n,r[off][n],r[on][n],r[on][n]-r[off][n]))
o,n_=r[off],r[on]
req=(n_['tokio workers']-n_['sync task'])-(o['tokio workers']-o['sync task'])
bg=(n_['total']-o['total'])-req
print('request path (tokio workers minus sync task): %.0f = %.2f%% of off total %.0f'%(req,100*req/o['total'],o['total']))
print('background (sync task + sqlx worker threads + rest): %.0f'%bg)
