-- A library for deploy/bench-search.sh, loaded with psql:
--
--   psql -v big=ID -f search-seed.sql DATABASE_URL
--
-- 100,000 entries over 1,000 users: every tenth entry is user :big's
-- (10,000), the others go to users 2 to 1000 in turn (about 90 each), so
-- one user's rows are scattered through the table as in real life. Users
-- other than :big need not exist anywhere: the API database has no users.
-- Terms to search for:
--   kubernetes     in about 30 % of the contents (frequent)
--   xylophonic     in about one content in 1,000 (rare)
--   quasiperiodic  in one annotation in 7, on one entry in 70 (annotations only)
-- Contents are five paragraphs of forty words (about 1.3 kB of HTML).
\set ON_ERROR_STOP 1
\set words '{the,of,and,to,in,is,that,for,it,as,with,was,on,be,by,this,are,from,at,or,an,have,not,but,had,they,which,one,you,were,all,we,can,her,has,there,been,if,more,when,will,would,who,so,no,time,people,year,way,day,man,thing,woman,life,child,world,school,state,family,student,group,country,problem,hand,part,place,case,week,company,system,program,question,work,government,number,night,point,home,water,room,mother,area,money,story,fact,month,lot,right,study,book,eye,job,word,business,issue,side,kind,head,house,service,friend,father,power,hour,game,line,end,member,law,car,city,community,name,president,team,minute,idea,kid,body,information,back,parent,face,others,level,office,door,health,person,art,war,history,party,result,change,morning,reason,research,girl,guy,moment,air,teacher,force,education,foot,boy,age,policy,music,market,sense,nation,plan,college,interest,death,experience,effect,use,class,control,care,field,development,role,effort,rate,heart,drug,show,leader,light,voice,wife,police,mind,price,report,decision,son,view,relationship,town,road,arm,difference,value,building,action,model,season,society,tax,director,position,player,record,paper,space,ground,form,event,official,matter,center,couple,site,project,activity,star,table,need,court,oil,situation,cost,industry,figure,street,image,phone,data,picture,practice,piece,land,product,doctor,wall,patient,worker,news,test,movie,north,love,support,technology,step,baby,computer,type,attention,film,tree,source,organization,hair,window,evidence,population,rust,postgres,server,cache,latency,index,query,garden,recipe,bread,travel,river,mountain,coffee,election,climate,ocean}'

BEGIN;

-- Paragraphs to build contents from. The word list is a literal in the
-- statement, read in place; an array stored in a table would be detoasted
-- at every subscript, which makes this take minutes instead of seconds.
CREATE TEMP TABLE paragraphs (p INTEGER PRIMARY KEY, body TEXT NOT NULL) ON COMMIT DROP;
INSERT INTO paragraphs
SELECT p, (SELECT string_agg(w[1 + abs(hashint4(p * 1009 + k)) % cardinality(w)], ' ')
           FROM generate_series(1, 40) k)
FROM (SELECT (:'words')::TEXT[] AS w) v, generate_series(0, 1999) p;

INSERT INTO entries (user_id, title, url, hashed_url, given_url, hashed_given_url, content,
                     created_at, updated_at, domain_name, reading_time, mimetype, language,
                     http_status, is_archived, archived_at, is_starred, starred_at)
SELECT CASE WHEN g % 10 = 0 THEN :big ELSE 2 + g % 999 END,
       title, url, md5(url) || left(md5(g::TEXT), 8), url, md5(url) || left(md5(g::TEXT), 8),
       '<p>' || (SELECT body FROM paragraphs WHERE p = abs(hashint4(g)) % 2000) || '</p><p>'
             || (SELECT body FROM paragraphs WHERE p = abs(hashint4(g + 1)) % 2000) || '</p><p>'
             || (SELECT body FROM paragraphs WHERE p = abs(hashint4(g + 2)) % 2000) || '</p><p>'
             || (SELECT body FROM paragraphs WHERE p = abs(hashint4(g + 3)) % 2000) || '</p><p>'
             || (SELECT body FROM paragraphs WHERE p = abs(hashint4(g + 4)) % 2000)
             || CASE WHEN abs(hashint4(g * 3)) % 100 < 30 THEN ' kubernetes' ELSE '' END
             || CASE WHEN abs(hashint4(g * 5)) % 1000 = 0 THEN ' xylophonic' ELSE '' END
             || '</p>',
       at, at + INTERVAL '1 hour', domain, 1, 'text/html; charset=utf-8', 'en', '200',
       g % 3 = 0, CASE WHEN g % 3 = 0 THEN at + INTERVAL '1 day' END,
       g % 17 = 0, CASE WHEN g % 17 = 0 THEN at + INTERVAL '2 days' END
FROM (
    -- One entry every 15 minutes, the newest now: about three years.
    SELECT g,
           now() - make_interval(mins => (100000 - g) * 15) AS at,
           initcap((SELECT string_agg(w[1 + abs(hashint4(g * 7 + k)) % cardinality(w)], ' ')
                    FROM generate_series(1, 4 + g % 4) k)) AS title,
           d[1 + g % cardinality(d)] AS domain,
           'https://' || d[1 + g % cardinality(d)] || '/' || (2020 + g % 6) || '/'
               || (SELECT string_agg(w[1 + abs(hashint4(g * 7 + k)) % cardinality(w)], '-')
                   FROM generate_series(1, 4) k) || '-' || g AS url
    FROM (SELECT (:'words')::TEXT[] AS w,
                 '{example.org,news.example.com,blog.example.net,lwn.example,docs.example.io}'::TEXT[] AS d) v,
         generate_series(1, 100000) g
) AS generated;

-- Twenty tags per user (rows per user, as the API stores them); half of
-- the entries carry one or two.
INSERT INTO tags (user_id, label, slug)
SELECT u, label, 't:' || label
FROM (SELECT :big AS u UNION SELECT generate_series(2, 1000)) users,
     unnest('{rust,go,python,reading,later,news,science,cooking,travel,music,work,home,ideas,longread,video,climate,politics,history,design,tools}'::TEXT[]) label;
INSERT INTO entry_tags (entry_id, tag_id)
SELECT e.id, t.id
FROM entries e
JOIN tags t ON t.user_id = e.user_id
WHERE e.id % 2 = 0
  AND (t.id % 20 = e.id % 20 OR (e.id % 6 = 0 AND t.id % 20 = (e.id + 7) % 20));

-- An annotation on one entry in ten.
INSERT INTO annotations (entry_id, user_id, text, quote, ranges, created_at, updated_at)
SELECT e.id, e.user_id,
       'note about '
           || (SELECT string_agg(w[1 + abs(hashint4(e.id::INTEGER * 13 + k)) % cardinality(w)], ' ')
               FROM generate_series(1, 8) k)
           || CASE WHEN abs(hashint4(e.id::INTEGER + 1)) % 7 = 0 THEN ' quasiperiodic' ELSE '' END,
       'quoted words',
       '[{"start": "/p[1]", "startOffset": "0", "end": "/p[1]", "endOffset": "12"}]',
       e.created_at, e.created_at
FROM entries e, (SELECT (:'words')::TEXT[] AS w) v
WHERE abs(hashint4(e.id::INTEGER)) % 10 = 0;

COMMIT;
